-- CASE (a, b) WHEN (x, y) compares as (a, b) = (x, y), field by field
-- (row_compare_nulls): a NULL field matches no WHEN, not even a ROW with a
-- NULL in the same place.
CREATE TABLE out (a INT, b INT, c STRING) WITH ('connector' = 'collect');
INSERT INTO out SELECT a, b, CASE (a, b) WHEN (1, CAST(NULL AS INT)) THEN 'null matched' WHEN (1, 2) THEN 'one-two' ELSE 'other' END FROM (VALUES (1, CAST(NULL AS INT)), (1, 2), (5, 6)) AS t(a, b);
