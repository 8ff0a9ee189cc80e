-- Grouping sets in a window aggregation (Flink's window aggregation with
-- GROUPING SETS / ROLLUP / CUBE): window_start and window_end are plain
-- GROUP BY items, so in every set; insert-only rows when a window fires.
CREATE TABLE sales (
  supplier STRING,
  product STRING,
  price INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'values');
CREATE TABLE by_rollup (window_start TIMESTAMP(3), supplier STRING, product STRING, total INT, gid BIGINT) WITH ('connector' = 'collect');
CREATE TABLE by_cube (window_start TIMESTAMP(3), supplier STRING, product STRING, n BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO by_rollup
SELECT window_start, supplier, product, SUM(price), GROUPING_ID(supplier, product)
FROM TABLE(TUMBLE(TABLE sales, DESCRIPTOR(ts), INTERVAL '10' SECONDS))
GROUP BY window_start, window_end, ROLLUP (supplier, product);
INSERT INTO by_cube
SELECT window_start, supplier, product, COUNT(*)
FROM TABLE(TUMBLE(TABLE sales, DESCRIPTOR(ts), INTERVAL '10' SECONDS))
GROUP BY window_start, window_end, CUBE (supplier, product);
END;
EXPLAIN SELECT window_start, supplier, SUM(price), GROUPING(supplier)
FROM TABLE(TUMBLE(TABLE sales, DESCRIPTOR(ts), INTERVAL '10' SECONDS))
GROUP BY window_start, window_end, GROUPING SETS ((supplier), ());
