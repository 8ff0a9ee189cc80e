CREATE TABLE lt (num INT, id STRING) WITH ('connector' = 'values');
CREATE TABLE rt (num INT, id STRING) WITH ('connector' = 'values');
CREATE TABLE out (num INT) WITH ('connector' = 'collect');
INSERT INTO out SELECT num FROM lt WHERE num > 3 OR EXISTS (SELECT * FROM rt WHERE lt.num = rt.num);
