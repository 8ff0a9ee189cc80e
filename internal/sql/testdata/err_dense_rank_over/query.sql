CREATE TABLE t (k STRING, v INT) WITH ('connector' = 'values');
CREATE TABLE out (k STRING, v INT, rk BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, v, DENSE_RANK() OVER (PARTITION BY k ORDER BY v) AS rk FROM t;
