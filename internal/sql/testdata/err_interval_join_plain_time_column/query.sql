-- An interval join keeps its two time columns as event-time attributes,
-- but no other column: `created` is a plain TIMESTAMP of an input (no
-- WATERMARK), and a window over it is refused.
CREATE TABLE orders (id BIGINT, created TIMESTAMP(3), ots TIMESTAMP(3), WATERMARK FOR ots AS ots) WITH ('connector' = 'values');
CREATE TABLE payments (oid BIGINT, pts TIMESTAMP(3), WATERMARK FOR pts AS pts) WITH ('connector' = 'values');
CREATE TABLE out (ws TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
CREATE VIEW paid AS SELECT o.id, o.created, o.ots, p.pts FROM orders o JOIN payments p
  ON o.id = p.oid AND p.pts BETWEEN o.ots AND o.ots + INTERVAL '5' MINUTE;
INSERT INTO out SELECT window_start, COUNT(*)
  FROM TABLE(TUMBLE(TABLE paid, DESCRIPTOR(created), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
