-- Three tables in a comma list: write the joins with ON.
CREATE TABLE a (x INT) WITH ('connector' = 'values');
CREATE TABLE b (x INT) WITH ('connector' = 'values');
CREATE TABLE c (x INT) WITH ('connector' = 'values');
SELECT * FROM a, b, c WHERE a.x = b.x AND b.x = c.x;
