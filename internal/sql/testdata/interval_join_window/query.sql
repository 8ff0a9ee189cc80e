-- Windows over either time column of an interval join (as in Flink, its
-- output keeps both inputs' event-time attributes): the rows carry the
-- later of the two times, so each window re-stamps them by its column, and
-- the join holds its watermark back by max(2 s, 5 s) = 5 s (Flink's
-- RowTimeIntervalJoin.getMaxOutputDelay) so that no pair is late in them.
-- Bounds of both signs, inclusive at both ends (pairs on each bound);
-- both inputs out of order within their watermark's 1 s. Expected rows
-- computed by hand from the 8 pairs (id, ots, pts): (1, 8, 6), (3, 9, 7),
-- (2, 9.5, 14.5), (3, 9, 14), (4, 21, 19), (5, 20.2, 25.2), (6, 29, 27),
-- (6, 29, 34). Also HOP (slide 5 s, size 10 s) over ots and SESSION (gap 3 s)
-- over pts.
CREATE TABLE orders (id BIGINT, ots TIMESTAMP(3), WATERMARK FOR ots AS ots - INTERVAL '1' SECOND)
  WITH ('connector' = 'values', 'one-per-read' = 'true');
CREATE TABLE payments (oid BIGINT, pts TIMESTAMP(3), WATERMARK FOR pts AS pts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values', 'one-per-read' = 'true');
CREATE TABLE by_order_time (window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT, ids BIGINT) WITH ('connector' = 'collect');
CREATE TABLE by_payment_time (window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT, ids BIGINT) WITH ('connector' = 'collect');
CREATE TABLE hop_order_time (window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT, ids BIGINT) WITH ('connector' = 'collect');
CREATE TABLE session_payment_time (window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT, ids BIGINT) WITH ('connector' = 'collect');

CREATE VIEW paid AS
SELECT o.id, o.ots, p.pts
FROM orders o JOIN payments p
  ON o.id = p.oid AND p.pts BETWEEN o.ots - INTERVAL '2' SECOND AND o.ots + INTERVAL '5' SECOND;

EXECUTE STATEMENT SET BEGIN
INSERT INTO by_order_time
SELECT window_start, window_end, COUNT(*), SUM(id)
FROM TABLE(TUMBLE(TABLE paid, DESCRIPTOR(ots), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
INSERT INTO by_payment_time
SELECT window_start, window_end, COUNT(*), SUM(id)
FROM TABLE(TUMBLE(TABLE paid, DESCRIPTOR(pts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
INSERT INTO hop_order_time
SELECT window_start, window_end, COUNT(*), SUM(id)
FROM TABLE(HOP(TABLE paid, DESCRIPTOR(ots), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
INSERT INTO session_payment_time
SELECT window_start, window_end, COUNT(*), SUM(id)
FROM TABLE(SESSION(TABLE paid, DESCRIPTOR(pts), INTERVAL '3' SECOND))
GROUP BY window_start, window_end;
END;
