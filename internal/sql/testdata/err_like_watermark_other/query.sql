-- A WATERMARK on another column: a table has at most one.
CREATE TABLE orders (id BIGINT, price INT, ts TIMESTAMP(3), total AS price * 2, WATERMARK FOR ts AS ts, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'values');
CREATE TABLE t2 (ts2 TIMESTAMP(3), WATERMARK FOR ts2 AS ts2) LIKE orders (OVERWRITING WATERMARKS);
