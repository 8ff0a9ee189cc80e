-- A column name in VALUES (or in a SELECT without FROM) names no column:
-- the error says there are none and what to write.
CREATE TABLE out (a STRING) WITH ('connector' = 'collect');
INSERT INTO out VALUES (x);
