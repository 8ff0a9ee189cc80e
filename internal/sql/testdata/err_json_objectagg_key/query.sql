-- JSON_OBJECTAGG's key is a NOT NULL character string (Flink's input type
-- strategy): a nullable column needs COALESCE or a NOT NULL column.
CREATE TABLE t (k INT, name STRING, j STRING) WITH ('connector' = 'values');
CREATE TABLE out (k INT, v STRING) WITH ('connector' = 'collect');
INSERT INTO out
SELECT k, JSON_OBJECTAGG(KEY name VALUE j) FROM t GROUP BY k;
