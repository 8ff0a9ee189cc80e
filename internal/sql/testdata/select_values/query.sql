-- SELECT without FROM (one row, as Flink's Values(tuples=[[{ 0 }]]) under a
-- Calc), INSERT INTO ... VALUES, VALUES as a table with column aliases, in
-- a WHERE and UNION ALL (GROUP BY: select_values_agg); the clock functions in VALUES read the
-- job's clock (file "clock").
CREATE TABLE out (a INT, b STRING) WITH ('connector' = 'collect');
CREATE TABLE times (d DATE, ts TIMESTAMP_LTZ(3), s STRING) WITH ('connector' = 'collect');
INSERT INTO out SELECT 1 AS a, 'x' AS b;
INSERT INTO out VALUES (2, 'y'), (3, CAST(NULL AS STRING));
INSERT INTO out SELECT x + 10, y FROM (VALUES (1, 'a'), (2, 'bb')) AS t(x, y) WHERE x > 1;
INSERT INTO out SELECT 100, 'never' WHERE 1 = 0;
INSERT INTO out SELECT 20, 'u1' UNION ALL SELECT 21, 'u2';
INSERT INTO times SELECT CURRENT_DATE, CURRENT_TIMESTAMP, CAST(LOCALTIMESTAMP AS STRING);
INSERT INTO times VALUES (CURRENT_DATE, NOW(), 'v');
