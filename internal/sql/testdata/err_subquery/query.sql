CREATE TABLE lt (num INT, id STRING) WITH ('connector' = 'values');
CREATE TABLE rt (num INT, id STRING) WITH ('connector' = 'values');
CREATE TABLE out (num INT, seen BOOLEAN) WITH ('connector' = 'collect');
INSERT INTO out SELECT num, num IN (SELECT num FROM rt) FROM lt GROUP BY num;
