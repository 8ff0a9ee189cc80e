-- A scalar subquery in the select list or HAVING of an aggregating SELECT
-- is joined after the aggregation, as Flink (Calcite's createAggImpl) plans
-- it: a keyless LEFT join of the aggregation's rows with the subquery's
-- single row, so the join keeps one row per group, and a new value of the
-- subquery changes each group's row once (-D/+I, the join's kinds; the
-- MAX's -U/+U passes through NULL), without re-aggregating the input or
-- emitting intermediate aggregates. A correlated one may read GROUP BY
-- columns only and is joined on them (COUNT over no rows is 0). t2 is held
-- back until t1's 16 rows are out ('after-rows'), so the changelog is
-- defined: t1's changes, then t2's.
CREATE TABLE t1 (k BIGINT, v INT) WITH ('connector' = 'values');
CREATE TABLE t2 (x BIGINT) WITH ('connector' = 'values', 'changelog' = 'true', 'after-rows' = '16');
CREATE TABLE total (n BIGINT, m BIGINT) WITH ('connector' = 'collect');
CREATE TABLE big (k BIGINT, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE matched (k BIGINT, s INT, c BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO total SELECT COUNT(*), (SELECT MAX(x) FROM t2) FROM t1;
INSERT INTO big SELECT k, COUNT(*) FROM t1 GROUP BY k HAVING COUNT(*) > (SELECT MAX(x) FROM t2);
INSERT INTO matched SELECT k, SUM(v), (SELECT COUNT(*) FROM t2 WHERE x = t1.k) FROM t1 GROUP BY k;
END;
EXPLAIN SELECT k, COUNT(*) FROM t1 GROUP BY k HAVING COUNT(*) > (SELECT MAX(x) FROM t2);
EXPLAIN SELECT k, SUM(v), (SELECT COUNT(*) FROM t2 WHERE x = t1.k) FROM t1 GROUP BY k;
