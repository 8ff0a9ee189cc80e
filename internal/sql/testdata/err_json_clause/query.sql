CREATE TABLE t (j STRING) WITH ('connector' = 'values');
CREATE TABLE out (v STRING) WITH ('connector' = 'collect');
INSERT INTO out
SELECT JSON_QUERY(j, '$.a' DEFAULT '[]' ON EMPTY) FROM t;
