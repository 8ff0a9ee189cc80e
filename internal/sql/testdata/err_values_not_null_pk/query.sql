-- A PRIMARY KEY column is NOT NULL: the test connector 'values' refuses a
-- null in it.
CREATE TABLE t (k BIGINT, v STRING, PRIMARY KEY (v) NOT ENFORCED) WITH ('connector' = 'values');
CREATE TABLE o (k BIGINT, v STRING) WITH ('connector' = 'collect');
INSERT INTO o SELECT k, v FROM t;
