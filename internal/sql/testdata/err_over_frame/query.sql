CREATE TABLE orders (product STRING, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (product STRING, s BIGINT) WITH ('connector' = 'collect');
INSERT INTO out
SELECT product, SUM(amount) OVER (PARTITION BY product ORDER BY ts ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING)
FROM orders;
