-- The plan of UNNEST: a Correlate over its input (stateless, chained), with
-- the collection it expands, its columns and the join type; it keeps the
-- changelog mode of its input and the rowtime (the window aggregation over
-- it); UNNEST alone in FROM is a Correlate over one row.
CREATE TABLE orders (id INT, items ARRAY<STRING>, attrs MAP<STRING, INT>, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE carts (id INT, tags ARRAY<ROW<tag STRING, w INT>>) WITH ('connector' = 'values', 'changelog' = 'true');
EXPLAIN SELECT id, item FROM orders CROSS JOIN UNNEST(items) AS t(item) WHERE item <> 'x';
-- A conjunct over the input's columns filters before the expansion (as
-- Calcite's FilterCorrelateRule), also under LEFT JOIN UNNEST.
EXPLAIN SELECT id, item FROM orders CROSS JOIN UNNEST(items) AS t(item) WHERE id > 1 AND item <> 'x' AND CARDINALITY(items) < 5;
EXPLAIN SELECT id, item FROM orders LEFT JOIN UNNEST(items) AS t(item) ON TRUE WHERE id > 1;
EXPLAIN SELECT o.id, a.k, a.v, a.pos FROM orders AS o LEFT JOIN UNNEST(o.attrs) WITH ORDINALITY AS a(k, v, pos) ON TRUE;
EXPLAIN SELECT tag, SUM(w) FROM carts, UNNEST(tags) GROUP BY tag;
EXPLAIN SELECT window_start, item, COUNT(*) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) AS w
  CROSS JOIN UNNEST(w.items) AS t(item) GROUP BY window_start, window_end, item;
EXPLAIN SELECT x FROM UNNEST(ARRAY[1, 2]) AS t(x);
