-- The regular inner join's unique mode (planner/uniquekey.go) over a
-- connector-stated unique key (the test connector's 'unique-key', as the
-- nexmark connector states auction ids) through a view, results: streamsql's
-- TestJoinUniqueKeySameRows runs this case without the key too
-- (the general mode) and compares the final rows. NULL keys, sales of
-- items that never come and of items of the other kind, a residual
-- condition, the unique side on either side, and a GROUP BY after the join.
CREATE TABLE items (id BIGINT NOT NULL, kind INT, lo BIGINT, hi BIGINT, name STRING) WITH ('connector' = 'values', 'unique-key' = 'id');
CREATE TABLE sales (item BIGINT, price BIGINT, note STRING) WITH ('connector' = 'values');
CREATE VIEW kind1 AS SELECT id AS item_id, lo, hi, name FROM items WHERE kind = 1;
CREATE TABLE pairs_out (q STRING, name STRING, price BIGINT, note STRING) WITH ('connector' = 'collect');
CREATE TABLE agg_out (name STRING, n BIGINT, top BIGINT, PRIMARY KEY (name) NOT ENFORCED) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO pairs_out SELECT 'view', k.name, s.price, s.note FROM kind1 AS k JOIN sales AS s ON k.item_id = s.item WHERE s.price BETWEEN k.lo AND k.hi;
INSERT INTO pairs_out SELECT 'right', i.name, s.price, s.note FROM sales AS s, items AS i WHERE s.item = i.id AND s.note <> i.name;
INSERT INTO agg_out SELECT k.name, COUNT(*), MAX(s.price) FROM sales AS s JOIN kind1 AS k ON s.item = k.item_id GROUP BY k.name;
END;
