CREATE TABLE t (a INT, ts TIMESTAMP(3)) WITH ('connector' = 'values');
CREATE TABLE out (ts TIMESTAMP(3)) WITH ('connector' = 'collect');
INSERT INTO out SELECT ts + INTERVAL '1 10' DAY TO MINUTE FROM t;
