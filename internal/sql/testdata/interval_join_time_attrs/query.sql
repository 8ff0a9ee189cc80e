-- The time columns of an interval join with strict bounds (pts - ots in
-- (-2 s, 5 s): pairs on a bound are not joined) stay event-time attributes
-- for a group window (over pts), an OVER aggregation (ordered by ots) and
-- another interval join (on pts); each re-stamps the rows by its column
-- behind the join's watermark, held back by 5 s. Expected rows computed by
-- hand from the 6 pairs (id, ots, pts): (1, 5, 3.5), (3, 7.5, 6),
-- (1, 5, 9.9), (2, 8, 12.999), (4, 16, 14.5), (4, 16, 20.5); not joined:
-- (1, 5, 3), (2, 8, 13), (4, 16, 21).
CREATE TABLE orders (id BIGINT, ots TIMESTAMP(3), WATERMARK FOR ots AS ots - INTERVAL '1' SECOND)
  WITH ('connector' = 'values', 'one-per-read' = 'true');
CREATE TABLE payments (oid BIGINT, pts TIMESTAMP(3), WATERMARK FOR pts AS pts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values', 'one-per-read' = 'true');
CREATE TABLE ships (sid BIGINT, sts TIMESTAMP(3), WATERMARK FOR sts AS sts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values', 'one-per-read' = 'true');
CREATE TABLE group_window_out (ws TIMESTAMP(3), n BIGINT, ids BIGINT) WITH ('connector' = 'collect');
CREATE TABLE over_out (id BIGINT, pts TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE join_out (id BIGINT, pts TIMESTAMP(3), sts TIMESTAMP(3)) WITH ('connector' = 'collect');

CREATE VIEW paid AS
SELECT o.id, o.ots, p.pts
FROM orders o, payments p
WHERE o.id = p.oid AND p.pts > o.ots - INTERVAL '2' SECOND AND p.pts < o.ots + INTERVAL '5' SECOND;

EXECUTE STATEMENT SET BEGIN
INSERT INTO group_window_out
SELECT TUMBLE_START(pts, INTERVAL '10' SECOND), COUNT(*), SUM(id)
FROM paid GROUP BY TUMBLE(pts, INTERVAL '10' SECOND);
INSERT INTO over_out
SELECT id, pts, COUNT(*) OVER (ORDER BY ots RANGE BETWEEN INTERVAL '3' SECOND PRECEDING AND CURRENT ROW)
FROM paid;
INSERT INTO join_out
SELECT j.id, j.pts, s.sts
FROM paid j JOIN ships s ON s.sid = j.id AND s.sts BETWEEN j.pts AND j.pts + INTERVAL '3' SECOND;
END;
