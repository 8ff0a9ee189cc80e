CREATE TABLE t (a INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' YEAR) WITH ('connector' = 'values');
CREATE TABLE out (a INT) WITH ('connector' = 'collect');
INSERT INTO out SELECT a FROM t;
