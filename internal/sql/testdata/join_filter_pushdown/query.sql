-- Filter push-down through regular joins (pushdown.go), results: each
-- query gives the rows it gave without push-down (streamsql's
-- TestJoinFilterPushDownSameRows runs this case with
-- 'strom.optimizer.join-filter-push-down' = 'false' too). NULL keys, NULL
-- values, and the conjuncts that must not move: a WHERE over the
-- null-generating side of an outer join (b.t IS NULL: pushed into b it
-- would pad every row of a), an ON conjunct over the preserved side
-- (a.x > 1 in a LEFT join: a's other rows are still emitted, padded), any
-- conjunct of a FULL join, a volatile call (PROCTIME()).
CREATE TABLE a (id BIGINT, k BIGINT, x INT, s STRING) WITH ('connector' = 'values');
CREATE TABLE b (k BIGINT, y INT, t STRING) WITH ('connector' = 'values');
-- b again: joins of the same inputs and keys would be one (sub-plan reuse),
-- and a statement set whose joins push-down would unshare is planned
-- without it (TestJoinFilterPushDownKeepsSharedJoins).
CREATE TABLE b2 (k BIGINT, y INT, t STRING) WITH ('connector' = 'values', 'file' = 'b.jsonl');
CREATE TABLE inner_out (q STRING, id BIGINT, t STRING) WITH ('connector' = 'collect');
CREATE TABLE outer_out (q STRING, id BIGINT, t STRING) WITH ('connector' = 'collect');
CREATE TABLE agg_out (k BIGINT, n BIGINT, t STRING) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
-- a.x > 1 into a, b.y < 5 into b, a.x + b.y > 2 the join's condition.
INSERT INTO inner_out SELECT 'inner', a.id, b.t FROM a JOIN b ON a.k = b.k WHERE a.x > 1 AND b.y < 5 AND a.x + b.y > 2;
-- NULLs: a.s <> 'p' drops a's NULL s, b.y <> 7 b's NULL y (below the join).
INSERT INTO inner_out SELECT 'nulls', a.id, b.t FROM b, a WHERE a.k = b.k AND a.s <> 'p' AND b.y <> 7;
-- A volatile conjunct stays above the join.
INSERT INTO inner_out SELECT 'volatile', a.id, b.t FROM a JOIN b2 AS b ON a.k = b.k WHERE a.x < YEAR(PROCTIME()) - 2000;
-- LEFT: WHERE over a (preserved) into a.
INSERT INTO outer_out SELECT 'left-where', a.id, b.t FROM a LEFT JOIN b ON a.k = b.k WHERE a.x > 1;
-- LEFT: WHERE over b (null-generating) stays above.
INSERT INTO outer_out SELECT 'left-where-null', a.id, b.t FROM a LEFT JOIN b2 AS b ON a.k = b.k WHERE b.t IS NULL;
-- LEFT: ON over a (preserved) stays in the join.
INSERT INTO outer_out SELECT 'left-on-preserved', a.id, b.t FROM a LEFT JOIN b ON a.k = b.k AND a.x > 1;
-- LEFT: ON over b (null-generating) into b.
INSERT INTO outer_out SELECT 'left-on', a.id, b.t FROM a LEFT JOIN b ON a.k = b.k AND b.y < 5;
-- RIGHT: ON over a into a, WHERE over b into b.
INSERT INTO outer_out SELECT 'right', a.id, b.t FROM a RIGHT JOIN b ON a.k = b.k AND a.x > 1 WHERE b.y IS NOT NULL;
-- FULL: nothing moves.
INSERT INTO outer_out SELECT 'full', a.id, b.t FROM a FULL JOIN b ON a.k = b.k AND b.y > 0 WHERE a.x > 0 OR a.x IS NULL;
-- Over the join keys: a.k > 1 into a, and as b.k > 1 into b.
INSERT INTO inner_out SELECT 'keys', a.id, b.t FROM b2 AS b JOIN a ON b.k = a.k WHERE a.k > 1;
-- LEFT: a.k <> 1 (preserved) into a, and as b.k <> 1 into b.
INSERT INTO outer_out SELECT 'left-keys', a.id, b.t FROM a LEFT JOIN b ON a.k = b.k AND b.t <> 'none' WHERE a.k <> 1;
-- RIGHT: a.k < 3 (null-generating: it stays above, and rejects the padded
-- rows) as b.k < 3 into b.
INSERT INTO outer_out SELECT 'right-keys', a.id, b.t FROM a RIGHT JOIN b2 AS b ON a.k = b.k WHERE a.k < 3;
-- An updating input: n > 1 into the aggregation's changelog.
INSERT INTO agg_out SELECT c.k, c.n, b.t FROM (SELECT k, COUNT(*) AS n FROM a GROUP BY k) c JOIN b ON c.k = b.k WHERE c.n > 1;
END;
