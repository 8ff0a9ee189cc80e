CREATE TABLE sales (supplier STRING, price INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (supplier STRING, total INT) WITH ('connector' = 'collect');
INSERT INTO out SELECT supplier, SUM(price) FROM sales GROUP BY ROLLUP (TUMBLE(ts, INTERVAL '1' MINUTE), supplier);
