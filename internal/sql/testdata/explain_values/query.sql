-- The plans of SELECT without FROM (a Calc over one row of one column ZERO,
-- Flink's Values(tuples=[[{ 0 }]])) and of VALUES as a table.
EXPLAIN SELECT 1 AS a, 'x' AS b;
EXPLAIN SELECT x FROM (VALUES (1, 'a'), (2, 'bb')) AS t(x, y) WHERE x > 1;
EXPLAIN VALUES (1, CAST(NULL AS STRING)), (2.5, 'b');
