-- CREATE FUNCTION gives another name to a Go-registered function (the
-- test session registers `twice`) or a built-in; IF NOT EXISTS keeps an
-- existing name.
CREATE TEMPORARY FUNCTION dbl AS 'twice';
CREATE FUNCTION shout AS 'UPPER' LANGUAGE JAVA;
CREATE FUNCTION IF NOT EXISTS dbl AS 'com.example.Other';
CREATE TABLE t (k STRING, v BIGINT) WITH ('connector' = 'values');
CREATE TABLE o (k STRING, v BIGINT) WITH ('connector' = 'collect');
INSERT INTO o SELECT shout(k), dbl(v) FROM t;
