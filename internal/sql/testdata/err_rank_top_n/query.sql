CREATE TABLE t (k STRING, v INT) WITH ('connector' = 'values');
CREATE TABLE out (k STRING, v INT, rk BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT * FROM (SELECT k, v, RANK() OVER (PARTITION BY k ORDER BY v DESC) AS rk FROM t) WHERE rk <= 2;
