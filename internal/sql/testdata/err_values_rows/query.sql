-- The rows of VALUES must have the same number of values.
CREATE TABLE out (a INT, b STRING) WITH ('connector' = 'collect');
INSERT INTO out VALUES (1, 'a'),
  (2);
