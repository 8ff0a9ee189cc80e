-- DDL and session statements: their printed output.
CREATE TABLE t (a BIGINT, b STRING, c AS a * 2, ts TIMESTAMP(3), WATERMARK FOR ts AS ts, PRIMARY KEY (a) NOT ENFORCED) WITH ('connector' = 'values');
CREATE TABLE IF NOT EXISTS t (x INT) WITH ('connector' = 'values');
CREATE TEMPORARY VIEW v AS SELECT a, UPPER(b) AS ub FROM t WHERE c > 1;
SHOW TABLES;
SHOW VIEWS;
DESCRIBE t;
DESCRIBE v;
SHOW CREATE TABLE t;
SET 'parallelism.default' = '4';
SET 'pipeline.name' = 'x';
SET;
RESET 'pipeline.name';
SET;
DROP VIEW v;
DROP TABLE IF EXISTS nope;
SHOW VIEWS;
