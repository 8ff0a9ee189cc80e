CREATE TABLE t (k INT, v INT) WITH ('connector' = 'values');
CREATE TABLE out (k INT, vs STRING) WITH ('connector' = 'collect');
INSERT INTO out
SELECT k, LISTAGG(v) FROM t GROUP BY k;
