-- SELECT * without FROM has no columns to select (Calcite: "SELECT *
-- requires a FROM clause").
CREATE TABLE out (a INT) WITH ('connector' = 'collect');
INSERT INTO out SELECT 1 AS a, *;
