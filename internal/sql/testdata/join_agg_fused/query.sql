-- A GROUP BY over a regular inner join in the unique mode, keyed by the
-- unique side's key and other columns of that side: one operator
-- (planner/joinagg.go, EXPLAIN's fusedJoin=[true]). streamsql's
-- TestJoinAggSameRows runs this case without the unique key too (the join
-- in the general mode, not fused), with and without mini-batch, at
-- parallelism 1 and 2, and compares the final rows. NULL join keys, NULL
-- prices and bounds, sales of items that never come, a residual condition,
-- a filter, the unique side on either side, MAX of a string, and a GROUP BY
-- without the key (not fused) beside them. Its join is not the one of
-- by_kind (sides swapped): an equal join would be shared (sub-plan
-- reuse), and a shared join is not fused.
CREATE TABLE items (id BIGINT, kind INT, lo BIGINT, hi BIGINT, name STRING) WITH ('connector' = 'values', 'unique-key' = 'id');
CREATE TABLE sales (item BIGINT, price BIGINT, note STRING) WITH ('connector' = 'values');
CREATE VIEW kind1 AS SELECT id AS item_id, lo, hi, name FROM items WHERE kind = 1;
CREATE TABLE by_item (id BIGINT, name STRING, n BIGINT, np BIGINT, top BIGINT, low BIGINT, total BIGINT, mean BIGINT, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'collect');
CREATE TABLE by_kind (id BIGINT, kind INT, n BIGINT, last_note STRING, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'collect');
CREATE TABLE by_name (name STRING, n BIGINT, top BIGINT, PRIMARY KEY (name) NOT ENFORCED) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO by_item SELECT k.item_id, k.name, COUNT(*), COUNT(s.price), MAX(s.price), MIN(s.price), SUM(s.price), AVG(s.price)
  FROM kind1 AS k JOIN sales AS s ON k.item_id = s.item WHERE s.price IS NULL OR s.price BETWEEN k.lo AND k.hi GROUP BY k.item_id, k.name;
INSERT INTO by_kind SELECT i.id, i.kind, COUNT(s.price), MAX(s.note)
  FROM sales AS s, items AS i WHERE s.item = i.id AND s.note <> 'x' GROUP BY i.kind, i.id;
INSERT INTO by_name SELECT i.name, COUNT(*), MAX(s.price) FROM items AS i JOIN sales AS s ON i.id = s.item GROUP BY i.name;
END;
