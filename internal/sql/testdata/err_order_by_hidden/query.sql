-- The same with an ORDER BY expression that the select list leaves out
-- (planned as a hidden column): the error names the expression as written.
CREATE TABLE t (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
SELECT k FROM t ORDER BY v + 1;
