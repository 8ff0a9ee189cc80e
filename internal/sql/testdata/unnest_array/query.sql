-- UNNEST of collections read from JSON (ARRAY<STRING>, ARRAY<ROW<...>>,
-- MAP<STRING, INT>): CROSS JOIN, the comma form, WITH ORDINALITY, LEFT JOIN
-- ... ON TRUE (rows with an empty or NULL collection kept with NULLs), a
-- WHERE over the elements and one over the input's columns (pushed below the
-- expansion), UNNEST alone in FROM and the collection functions
-- over the same rows.
CREATE TABLE orders (
  id INT,
  items ARRAY<STRING>,
  lines ARRAY<ROW<sku STRING, qty INT>>,
  attrs MAP<STRING, INT>
) WITH ('connector' = 'values');

CREATE TABLE items (id INT, item STRING) WITH ('connector' = 'collect');
CREATE TABLE items_pos (id INT, item STRING, pos INT) WITH ('connector' = 'collect');
CREATE TABLE items_left (id INT, item STRING, pos INT) WITH ('connector' = 'collect');
CREATE TABLE items_late (id INT, item STRING) WITH ('connector' = 'collect');
CREATE TABLE lines (id INT, sku STRING, qty INT) WITH ('connector' = 'collect');
CREATE TABLE attrs (id INT, k STRING, v INT) WITH ('connector' = 'collect');
CREATE TABLE consts (x INT, pos INT) WITH ('connector' = 'collect');
CREATE TABLE funcs (id INT, n INT, first_item STRING, last_item STRING, color INT, has_cap BOOLEAN,
  nattrs INT, keys ARRAY<STRING>, joined STRING, dist ARRAY<STRING>, qty2 INT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO items SELECT id, item FROM orders CROSS JOIN UNNEST(items) AS t(item);
INSERT INTO items_pos SELECT o.id, t.item, t.pos FROM orders AS o, UNNEST(o.items) WITH ORDINALITY AS t(item, pos) WHERE t.item <> 'ink';
INSERT INTO items_left SELECT id, item, pos FROM orders LEFT JOIN UNNEST(items) WITH ORDINALITY AS t(item, pos) ON TRUE;
INSERT INTO items_late SELECT id, item FROM orders LEFT JOIN UNNEST(items) AS t(item) ON TRUE WHERE id >= 2 AND (CARDINALITY(items) IS NULL OR CARDINALITY(items) <> 3);
INSERT INTO lines SELECT id, sku, qty FROM orders CROSS JOIN UNNEST(lines) AS l;
INSERT INTO attrs SELECT id, k, v FROM orders CROSS JOIN UNNEST(attrs) AS a(k, v);
INSERT INTO consts SELECT x * 10, pos FROM UNNEST(ARRAY[1, 2, 3]) WITH ORDINALITY AS c(x, pos) WHERE x > 1;
INSERT INTO funcs SELECT id, CARDINALITY(items), items[1], items[CARDINALITY(items)], attrs['color'],
  ARRAY_CONTAINS(items, 'cap'), CARDINALITY(attrs), MAP_KEYS(attrs), ARRAY_JOIN(items, '+', '?'),
  ARRAY_DISTINCT(items), lines[2].qty
  FROM orders;
END;
