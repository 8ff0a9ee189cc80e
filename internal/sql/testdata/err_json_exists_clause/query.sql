CREATE TABLE t (j STRING) WITH ('connector' = 'values');
CREATE TABLE out (v BOOLEAN) WITH ('connector' = 'collect');
INSERT INTO out
SELECT JSON_EXISTS(j, '$.a' EMPTY OBJECT ON ERROR) FROM t;
