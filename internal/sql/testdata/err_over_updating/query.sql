CREATE TABLE orders (product STRING, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (product STRING, s BIGINT) WITH ('connector' = 'collect');
INSERT INTO out
SELECT product, SUM(total) OVER (PARTITION BY product ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)
FROM (SELECT product, SUM(amount) AS total, MAX(ts) AS ts FROM orders GROUP BY product);
