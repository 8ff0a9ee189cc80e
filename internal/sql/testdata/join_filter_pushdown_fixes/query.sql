-- Filter push-down through joins (pushdown.go): cases that went wrong
-- (streamsql's TestJoinFilterPushDownSameRows runs this case with
-- 'strom.optimizer.join-filter-push-down' = 'false' too). Each statement
-- reads tables of its own, so that no two joins are equal (sub-plan reuse
-- would plan them all without push-down).
CREATE TABLE a1 (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values', 'file' = 'a.jsonl');
CREATE TABLE b1 (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values', 'file' = 'b.jsonl');
CREATE TABLE a2 (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values', 'file' = 'a.jsonl');
CREATE TABLE b2 (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values', 'file' = 'b.jsonl');
CREATE TABLE a3 (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values', 'file' = 'a.jsonl');
CREATE TABLE b3 (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values', 'file' = 'b.jsonl');
CREATE TABLE a4 (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values', 'file' = 'a.jsonl');
CREATE TABLE b4 (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values', 'file' = 'b.jsonl');
CREATE TABLE p (id BIGINT, k BIGINT, s INT, e INT) WITH ('connector' = 'values');
CREATE TABLE q (id BIGINT, k BIGINT, s INT, e INT) WITH ('connector' = 'values');
CREATE TABLE g1 (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values', 'file' = 'g.jsonl');
CREATE TABLE h1 (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values', 'file' = 'h.jsonl');
CREATE TABLE g2 (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values', 'file' = 'g.jsonl');
CREATE TABLE h2 (id BIGINT, k BIGINT, v INT) WITH ('connector' = 'values', 'file' = 'h.jsonl');
CREATE TABLE out1 (q STRING, l BIGINT, r BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
-- A WHERE over the null-generating side's keys that is TRUE on NULL keeps
-- padded rows: it must not filter the preserved side over its keys (a.k IS
-- NULL would drop a's row 4, padded: FLINK-31273).
INSERT INTO out1 SELECT 'left-is-null', a1.id, b1.id FROM a1 LEFT JOIN b1 ON a1.k = b1.k WHERE b1.k IS NULL;
INSERT INTO out1 SELECT 'left-coalesce', a2.id, b2.id FROM a2 LEFT JOIN b2 ON a2.k = b2.k WHERE COALESCE(b2.k, 0) < 2;
INSERT INTO out1 SELECT 'right-is-null', a3.id, b3.id FROM b3 RIGHT JOIN a3 ON b3.k = a3.k WHERE b3.k IS NULL;
-- A null-rejecting one does (b.k < 2 filters a as a.k < 2).
INSERT INTO out1 SELECT 'left-rejecting', a4.id, b4.id FROM a4 LEFT JOIN b4 ON a4.k = b4.k WHERE b4.k < 2;
-- b.k <> 0, copied over the keys into a, guards 10 / a.k there (a's
-- conjuncts in the WHERE's order).
INSERT INTO out1 SELECT 'key-guard', g2.id, h2.id FROM g2 JOIN h2 ON g2.k = h2.k WHERE h2.k <> 0 AND 10 / g2.k > 1;
-- Two conjuncts that print alike, (`s` < `e`), but read other columns:
-- both are the join's condition (neither is taken for the other).
INSERT INTO out1 SELECT 'mirrored', p.id, q.id FROM p JOIN q ON p.k = q.k WHERE p.s < q.e AND q.s < p.e;
-- The inner WHERE guards the outer one: a.v <> 0 goes into a in front of
-- 10 / av > 1.
INSERT INTO out1 SELECT 'guard', aid, bid FROM (SELECT g1.id AS aid, h1.id AS bid, g1.v AS av FROM g1 JOIN h1 ON g1.k = h1.k WHERE g1.v <> 0) t WHERE 10 / av > 1;
END;
