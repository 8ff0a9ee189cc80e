CREATE TABLE t (k INT, j STRING) WITH ('connector' = 'values');
CREATE TABLE out (k INT, v STRING) WITH ('connector' = 'collect');
INSERT INTO out
SELECT k, JSON_ARRAYAGG(j) FROM t GROUP BY k;
