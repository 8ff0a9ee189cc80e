-- A GROUP BY over a regular inner join in the unique mode whose grouping
-- keys are the unique side's join key and other columns of that side
-- runs as one operator with the join (planner/joinagg.go): its
-- GroupAggregate line says fusedJoin=[true]. MAX, MIN, COUNT, SUM, AVG
-- without DISTINCT; anything else, a key of the other side, keys without
-- the join key, or a join in the general mode: not fused.
CREATE TABLE items (id BIGINT NOT NULL, kind INT, name STRING) WITH ('connector' = 'values', 'unique-key' = 'id');
CREATE TABLE items_pk (id BIGINT NOT NULL, kind INT, name STRING, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'values');
CREATE TABLE sales (item BIGINT, price BIGINT, note STRING) WITH ('connector' = 'values');
CREATE VIEW kind1 AS SELECT id AS item_id, name FROM items WHERE kind = 1;
-- Fused: the key and a column of its side, the unique side on the left.
EXPLAIN SELECT k.name, MAX(s.price) FROM kind1 AS k JOIN sales AS s ON k.item_id = s.item GROUP BY k.item_id, k.name;
-- Fused: on the right, every supported call, a filter.
EXPLAIN SELECT i.id, COUNT(*), COUNT(s.note), MIN(s.price), SUM(s.price), AVG(s.price) FROM sales AS s, items AS i WHERE s.item = i.id AND s.price > 10 GROUP BY i.id;
-- Not fused: DISTINCT.
EXPLAIN SELECT i.id, COUNT(DISTINCT s.price) FROM sales AS s, items AS i WHERE s.item = i.id GROUP BY i.id;
-- Not fused: another call.
EXPLAIN SELECT i.id, LISTAGG(s.note) FROM sales AS s, items AS i WHERE s.item = i.id GROUP BY i.id;
-- Not fused: a key of the other side.
EXPLAIN SELECT i.id, MAX(s.price) FROM sales AS s, items AS i WHERE s.item = i.id GROUP BY i.id, s.note;
-- Not fused: the keys without the join key.
EXPLAIN SELECT i.name, MAX(s.price) FROM sales AS s, items AS i WHERE s.item = i.id GROUP BY i.name;
-- Not fused: the join in the general mode (a PRIMARY KEY NOT ENFORCED is not a unique key).
EXPLAIN SELECT i.id, MAX(s.price) FROM sales AS s, items_pk AS i WHERE s.item = i.id GROUP BY i.id;
-- Not fused: the join shared (sub-plan reuse) by two GROUP BYs of one
-- query (the job runs one join, its Calc and two GROUP BYs).
EXPLAIN SELECT a.id, a.p, b.p FROM
  (SELECT i.id, MAX(s.price) AS p FROM items AS i JOIN sales AS s ON i.id = s.item GROUP BY i.id) AS a JOIN
  (SELECT i.id, MIN(s.price) AS p FROM items AS i JOIN sales AS s ON i.id = s.item GROUP BY i.id) AS b ON a.id = b.id;
-- Not fused: the join shared by two statements of a statement set.
CREATE TABLE o1 (id BIGINT, p BIGINT) WITH ('connector' = 'collect');
CREATE TABLE o2 (id BIGINT, p BIGINT) WITH ('connector' = 'collect');
EXPLAIN EXECUTE STATEMENT SET BEGIN
INSERT INTO o1 SELECT i.id, MAX(s.price) FROM items AS i JOIN sales AS s ON i.id = s.item GROUP BY i.id;
INSERT INTO o2 SELECT i.id, MIN(s.price) FROM items AS i JOIN sales AS s ON i.id = s.item GROUP BY i.id;
END;
-- Fused: each of them alone.
EXPLAIN INSERT INTO o1 SELECT i.id, MAX(s.price) FROM items AS i JOIN sales AS s ON i.id = s.item GROUP BY i.id;
-- Fused under mini-batch too.
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '2 s';
SET 'table.exec.mini-batch.size' = '5000';
EXPLAIN SELECT k.name, MAX(s.price) FROM kind1 AS k JOIN sales AS s ON k.item_id = s.item GROUP BY k.item_id, k.name;
