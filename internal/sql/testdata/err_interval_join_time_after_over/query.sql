-- A time column of an interval join is one only directly after the join:
-- an OVER aggregation (ordered by ots) emits a row when the watermark
-- passes its ots, when its pts may be behind the watermark, so a window
-- over pts after it would drop rows as late; it is refused.
CREATE TABLE orders (id BIGINT, ots TIMESTAMP(3), WATERMARK FOR ots AS ots) WITH ('connector' = 'values');
CREATE TABLE payments (oid BIGINT, pts TIMESTAMP(3), WATERMARK FOR pts AS pts) WITH ('connector' = 'values');
CREATE TABLE out (ws TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
CREATE VIEW paid AS SELECT o.id, o.ots, p.pts FROM orders o JOIN payments p
  ON o.id = p.oid AND p.pts BETWEEN o.ots - INTERVAL '1' MINUTE AND o.ots + INTERVAL '5' MINUTE;
CREATE VIEW counted AS SELECT id, pts, COUNT(*) OVER (ORDER BY ots ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS n FROM paid;
INSERT INTO out SELECT window_start, SUM(n)
  FROM TABLE(TUMBLE(TABLE counted, DESCRIPTOR(pts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
