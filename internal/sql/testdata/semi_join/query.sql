-- Regular semi and anti joins (IN, NOT IN, EXISTS, NOT EXISTS subqueries
-- in WHERE, Flink's StreamingSemiAntiJoinOperator), over an updating
-- right side: customer 3's only order is deleted. NULL keys never match
-- (eve has no orders, dan's region equals nothing). NOT IN over a nullable
-- column is Flink's (SQL's) null-aware anti join: a NULL in the subquery
-- (the order without cid / region) eliminates every row, and a row whose
-- value is NULL (dan's region) fails as soon as the subquery has rows.
-- Correlated conditions other than key equalities decide the partners;
-- in them an unqualified name is the subquery's (region is the order's).
-- IN compares expressions too, cast to their common type (INT amount / 10
-- with BIGINT id), and rows: (a, b) IN (SELECT x, y ...).
CREATE TABLE customers (id BIGINT, name STRING, region STRING) WITH ('connector' = 'values');
CREATE TABLE orders (cid BIGINT, amount INT, region STRING) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE banned (region STRING NOT NULL) WITH ('connector' = 'values');
CREATE TABLE customers_nn (name STRING NOT NULL, region STRING NOT NULL) WITH ('connector' = 'values');
CREATE TABLE banned_pairs (name STRING NOT NULL, region STRING NOT NULL) WITH ('connector' = 'values');
CREATE TABLE buyers (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE big_buyers (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE idle (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE not_in_orders (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE allowed (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE not_in_regions (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE repeat_buyers (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE big_for_id (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE abroad (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE tenth (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE half_count (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE pair_in (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE pair_not_in (name STRING, region STRING) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO buyers SELECT id, name FROM customers WHERE id IN (SELECT cid FROM orders);
INSERT INTO big_buyers SELECT c.id, c.name FROM customers c WHERE EXISTS (SELECT * FROM orders o WHERE o.cid = c.id AND o.amount >= 100);
INSERT INTO idle SELECT id, name FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders WHERE cid = c.id);
INSERT INTO not_in_orders SELECT id, name FROM customers WHERE id NOT IN (SELECT cid FROM orders);
INSERT INTO allowed SELECT id, name FROM customers WHERE region NOT IN (SELECT region FROM banned);
INSERT INTO not_in_regions SELECT id, name FROM customers WHERE region NOT IN (SELECT region FROM orders);
INSERT INTO repeat_buyers SELECT id, name FROM customers WHERE id IN (SELECT cid FROM orders GROUP BY cid HAVING COUNT(*) > 1);
INSERT INTO big_for_id SELECT id, name FROM customers c WHERE EXISTS (SELECT * FROM orders o WHERE o.cid = c.id AND o.amount > c.id * 100);
INSERT INTO abroad SELECT id, name FROM customers c WHERE EXISTS (SELECT * FROM orders WHERE cid = c.id AND region <> c.region);
INSERT INTO tenth SELECT id, name FROM customers WHERE id IN (SELECT amount / 10 FROM orders);
INSERT INTO half_count SELECT id, name FROM customers WHERE id * 2 IN (SELECT COUNT(*) FROM orders GROUP BY cid);
INSERT INTO pair_in SELECT id, name FROM customers WHERE (id, region) IN (SELECT cid, region FROM orders GROUP BY cid, region);
INSERT INTO pair_not_in SELECT name, region FROM customers_nn WHERE (name, region) NOT IN (SELECT name, region FROM banned_pairs);
END;
EXPLAIN SELECT id, name FROM customers WHERE id IN (SELECT amount / 10 FROM orders);
EXPLAIN SELECT id, name FROM customers c WHERE EXISTS (SELECT * FROM orders o WHERE o.cid = c.id AND o.amount >= 100);
EXPLAIN SELECT id, name FROM customers WHERE region NOT IN (SELECT region FROM orders);
EXPLAIN SELECT id, name FROM customers c WHERE NOT EXISTS (SELECT * FROM orders WHERE cid = c.id AND region <> c.region);
