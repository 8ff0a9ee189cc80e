CREATE TABLE t (k STRING) WITH ('connector' = 'values');
CREATE TABLE o (k STRING, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO o SELECT k, COUNT(t.*) FROM t GROUP BY k;
