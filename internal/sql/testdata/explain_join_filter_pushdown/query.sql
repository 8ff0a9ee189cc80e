-- EXPLAIN of filter push-down through joins (pushdown.go): a conjunct over
-- one input is evaluated in a Calc over that input and still above the join
-- (for the state of plans without push-down), one over both inputs of an
-- inner regular join is the join's condition.
CREATE TABLE a (id BIGINT, k BIGINT, x INT, s STRING) WITH ('connector' = 'values');
CREATE TABLE b (k BIGINT, y INT, t STRING) WITH ('connector' = 'values');
CREATE TABLE c (k BIGINT, z INT) WITH ('connector' = 'values');
CREATE TABLE o (id BIGINT, cur STRING, amount INT, ts TIMESTAMP(3), p AS PROCTIME(),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE s (oid BIGINT, carrier STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE rates (code STRING, rate DOUBLE, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND,
    PRIMARY KEY (code) NOT ENFORCED) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE lrates (code STRING, rate DOUBLE, active BOOLEAN) WITH ('connector' = 'values');
-- Inner: a.x > 1 into a, b.y < 5 into b, a.x + b.y > 2 the condition.
EXPLAIN SELECT a.id, b.t FROM a JOIN b ON a.k = b.k WHERE a.x > 1 AND b.y < 5 AND a.x + b.y > 2;
-- A volatile conjunct stays above.
EXPLAIN SELECT a.id, b.t FROM a JOIN b ON a.k = b.k WHERE a.x < YEAR(PROCTIME()) - 2000;
-- LEFT: WHERE over a into a; WHERE over b (null-generating) stays above.
EXPLAIN SELECT a.id, b.t FROM a LEFT JOIN b ON a.k = b.k WHERE a.x > 1 AND b.t IS NULL;
-- LEFT: ON over b into b; ON over a (preserved) stays in the join.
EXPLAIN SELECT a.id, b.t FROM a LEFT JOIN b ON a.k = b.k AND b.y < 5 AND a.x > 1;
-- FULL: nothing moves.
EXPLAIN SELECT a.id, b.t FROM a FULL JOIN b ON a.k = b.k AND b.y > 0 WHERE a.x > 0;
-- Over the join keys: a.k > 1 into a and as b.k > 1 into b; RIGHT: a.k < 3
-- stays above (null-generating) and goes into b as b.k < 3.
EXPLAIN SELECT a.id, b.t FROM a JOIN b ON a.k = b.k WHERE a.k > 1;
EXPLAIN SELECT a.id, b.t FROM a RIGHT JOIN b ON a.k = b.k WHERE a.k < 3;
-- Three inputs: c.z = 1 into c, a.x > 1 through both joins into a.
EXPLAIN SELECT a.id, b.t, c.z FROM a JOIN b ON a.k = b.k JOIN c ON b.k = c.k WHERE a.x > 1 AND c.z = 1;
-- Through a subquery's projection.
EXPLAIN SELECT id FROM (SELECT a.id, a.x + 1 AS x1, b.t FROM a JOIN b ON a.k = b.k) WHERE x1 > 2 AND t <> 'u';
-- Interval join: each side's conjunct into it.
EXPLAIN SELECT o.id, s.carrier FROM o, s WHERE o.id = s.oid AND s.ts BETWEEN o.ts AND o.ts + INTERVAL '10' SECOND AND s.carrier <> 'none' AND o.amount > 5;
-- Temporal join: o.amount > 5 into the probe side, r.rate > 1.1 never into the versioned table.
EXPLAIN SELECT o.id, r.rate FROM o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.code WHERE o.amount > 5 AND r.rate > 1.1;
-- Lookup join: o.amount > 5 into the probe side; the table's conjunct stays in the join.
EXPLAIN SELECT o.id, r.rate FROM o JOIN lrates FOR SYSTEM_TIME AS OF o.p AS r ON o.cur = r.code AND r.active WHERE o.amount > 5;
-- LEFT, over b's keys (null-generating): b.k < 2 rejects the padded rows
-- and also filters a (as a.k < 2); b.k IS NULL OR b.k > 3 does not (TRUE on
-- them: a's rows must stay, FLINK-31273).
EXPLAIN SELECT a.id, b.t FROM a LEFT JOIN b ON a.k = b.k WHERE b.k < 2;
EXPLAIN SELECT a.id, b.t FROM a LEFT JOIN b ON a.k = b.k WHERE b.k IS NULL OR b.k > 3;
-- RIGHT, over a's keys: the same.
EXPLAIN SELECT a.id, b.t FROM a RIGHT JOIN b ON a.k = b.k WHERE COALESCE(a.k, 0) < 2 AND a.k IS NOT NULL;
-- A nested WHERE's conjunct (x <> 0) goes into a before the outer one
-- (10 / x > 1), which it guards.
EXPLAIN SELECT id, t FROM (SELECT a.id, a.x, b.t FROM a JOIN b ON a.k = b.k WHERE a.x <> 0) v WHERE 10 / x > 1;
