-- An interval join's time columns are event-time attributes for windows,
-- OVER and interval joins; a temporal sort (ORDER BY) over one is not
-- supported yet and says so.
CREATE TABLE orders (id BIGINT, ots TIMESTAMP(3), WATERMARK FOR ots AS ots) WITH ('connector' = 'values');
CREATE TABLE payments (oid BIGINT, pts TIMESTAMP(3), WATERMARK FOR pts AS pts) WITH ('connector' = 'values');
CREATE TABLE out (id BIGINT, pts TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE VIEW paid AS SELECT o.id, o.ots, p.pts FROM orders o JOIN payments p
  ON o.id = p.oid AND p.pts BETWEEN o.ots - INTERVAL '1' MINUTE AND o.ots + INTERVAL '5' MINUTE;
INSERT INTO out SELECT id, pts FROM paid ORDER BY pts;
