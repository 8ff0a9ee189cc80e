-- A second WATERMARK for the same column needs OVERWRITING WATERMARKS.
CREATE TABLE orders (id BIGINT, price INT, ts TIMESTAMP(3), total AS price * 2, WATERMARK FOR ts AS ts, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'values');
CREATE TABLE t2 (WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) LIKE orders;
