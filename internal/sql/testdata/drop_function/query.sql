-- DROP FUNCTION removes a name CREATE FUNCTION gave: the name can then be
-- given again, to another function (shout becomes LOWER); IF EXISTS
-- ignores a name that is not there. The function named stays (UPPER).
CREATE FUNCTION shout AS 'UPPER';
DROP TEMPORARY FUNCTION shout;
DROP FUNCTION IF EXISTS shout;
CREATE FUNCTION shout AS 'LOWER';
CREATE TABLE t (k STRING) WITH ('connector' = 'values');
CREATE TABLE o (a STRING, b STRING) WITH ('connector' = 'collect');
INSERT INTO o SELECT shout(k), UPPER(k) FROM t;
