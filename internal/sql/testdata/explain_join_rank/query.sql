-- A ROW_NUMBER Top-N over an inner regular join in its unique mode whose
-- PARTITION BY holds the unique side's join key columns is one operator
-- (planner/joinrank.go, EXPLAIN's JoinRank: the Top-N, the Calc between
-- them, the join). Every other shape keeps the Join and the Rank.
CREATE TABLE items (id BIGINT NOT NULL, kind INT, lo BIGINT, hi BIGINT, name STRING) WITH ('connector' = 'values', 'unique-key' = 'id');
CREATE TABLE sales (item BIGINT, price BIGINT, note STRING) WITH ('connector' = 'values');
CREATE TABLE plain (id BIGINT NOT NULL, name STRING) WITH ('connector' = 'values');
-- Fused: partitioned by the unique side's key (q9's shape), with a filter.
EXPLAIN SELECT id, name, price FROM (
  SELECT i.id, i.name, s.price, ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY s.price DESC) AS rn
  FROM items i JOIN sales s ON i.id = s.item WHERE s.price BETWEEN i.lo AND i.hi AND s.note <> 'x') WHERE rn <= 2;
-- Fused: the unique side on the right, partitioned by its key and another of its columns.
EXPLAIN SELECT id, name, price FROM (
  SELECT i.id, i.name, s.price, ROW_NUMBER() OVER (PARTITION BY i.name, i.id ORDER BY s.price) AS rn
  FROM sales s JOIN items i ON s.item = i.id) WHERE rn = 1;
-- Not fused: partitioned by the other side's key column (equal values, but not the unique side's).
EXPLAIN SELECT id, price FROM (
  SELECT i.id, s.price, ROW_NUMBER() OVER (PARTITION BY s.item ORDER BY s.price DESC) AS rn
  FROM items i JOIN sales s ON i.id = s.item) WHERE rn <= 1;
-- Not fused: a partition without the join key.
EXPLAIN SELECT name, price FROM (
  SELECT i.name, s.price, ROW_NUMBER() OVER (PARTITION BY i.name ORDER BY s.price DESC) AS rn
  FROM items i JOIN sales s ON i.id = s.item) WHERE rn <= 1;
-- Not fused: no unique side (the general mode).
EXPLAIN SELECT id, price FROM (
  SELECT p.id, s.price, ROW_NUMBER() OVER (PARTITION BY p.id ORDER BY s.price DESC) AS rn
  FROM plain p JOIN sales s ON p.id = s.item) WHERE rn <= 1;
-- Not fused: RANK, and N above 100.
EXPLAIN SELECT id, price FROM (
  SELECT i.id, s.price, RANK() OVER (PARTITION BY i.id ORDER BY s.price DESC) AS rn
  FROM items i JOIN sales s ON i.id = s.item) WHERE rn <= 1;
EXPLAIN SELECT id, price FROM (
  SELECT i.id, s.price, ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY s.price DESC) AS rn
  FROM items i JOIN sales s ON i.id = s.item) WHERE rn <= 101;
-- Not fused: a LEFT join.
EXPLAIN SELECT id, price FROM (
  SELECT i.id, s.price, ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY s.price DESC) AS rn
  FROM items i LEFT JOIN sales s ON i.id = s.item) WHERE rn <= 1;
-- Not fused: with a state TTL (the join's and the Top-N's state would expire apart).
SET 'table.exec.state.ttl' = '1 h';
EXPLAIN SELECT id, price FROM (
  SELECT i.id, s.price, ROW_NUMBER() OVER (PARTITION BY i.id ORDER BY s.price DESC) AS rn
  FROM items i JOIN sales s ON i.id = s.item) WHERE rn <= 1;
