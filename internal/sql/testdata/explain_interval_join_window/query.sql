-- EXPLAIN of a window over an interval join's time column: a Restamp gives
-- the joined rows (which carry the later of the two times) the value of
-- pts as their timestamp before the window (the join holds its watermark
-- back by max(1 min, 5 min)).
CREATE TABLE orders (id BIGINT, ots TIMESTAMP(3), WATERMARK FOR ots AS ots) WITH ('connector' = 'values');
CREATE TABLE payments (oid BIGINT, pts TIMESTAMP(3), WATERMARK FOR pts AS pts) WITH ('connector' = 'values');
CREATE TABLE out (ws TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
CREATE VIEW paid AS SELECT o.id, o.ots, p.pts FROM orders o JOIN payments p
  ON o.id = p.oid AND p.pts BETWEEN o.ots - INTERVAL '1' MINUTE AND o.ots + INTERVAL '5' MINUTE;
DESCRIBE paid;
EXPLAIN INSERT INTO out SELECT window_start, COUNT(*)
  FROM TABLE(TUMBLE(TABLE paid, DESCRIPTOR(pts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
