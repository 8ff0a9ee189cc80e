CREATE TABLE orders (id BIGINT, price INT, ts TIMESTAMP(3), total AS price * 2, WATERMARK FOR ts AS ts, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'values');
CREATE TABLE t2 LIKE ordrs;
