-- A VALUES column that is an untyped NULL in every row has no type (Flink:
-- "Illegal use of 'NULL'"); CAST one of them. A NULL beside typed rows is
-- fine (select_values).
CREATE TABLE out (a INT, b STRING) WITH ('connector' = 'collect');
INSERT INTO out VALUES (1, NULL),
  (2, NULL);
