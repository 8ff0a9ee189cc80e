-- GROUPING SETS, ROLLUP and CUBE with GROUPING() / GROUPING_ID(), as
-- Flink plans them: an Expand emits each row once per grouping set (the
-- keys outside the set NULL, the set's number $e as one more key), then
-- the regular (updating) aggregation. A NULL supplier (row 5) is a group
-- of its own, told apart from the subtotal by GROUPING.
CREATE TABLE sales (supplier STRING, product STRING, price INT) WITH ('connector' = 'values');
CREATE TABLE by_sets (supplier STRING, product STRING, total INT, g BIGINT) WITH ('connector' = 'collect');
CREATE TABLE by_rollup (supplier STRING, product STRING, total INT, gid BIGINT) WITH ('connector' = 'collect');
CREATE TABLE by_cube (supplier STRING, product STRING, n BIGINT, gs BIGINT, gp BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO by_sets SELECT supplier, product, SUM(price), GROUPING(supplier) FROM sales GROUP BY GROUPING SETS ((supplier, product), (supplier), ());
INSERT INTO by_rollup SELECT supplier, product, SUM(price), GROUPING_ID(supplier, product) FROM sales GROUP BY ROLLUP (supplier, product) HAVING SUM(price) > 3;
INSERT INTO by_cube SELECT supplier, product, COUNT(product), GROUPING(supplier), GROUPING(product) FROM sales GROUP BY CUBE (supplier, product);
END;
EXPLAIN SELECT supplier, product, SUM(price), GROUPING_ID(supplier, product) FROM sales GROUP BY ROLLUP (supplier, product);
