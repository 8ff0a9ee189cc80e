-- UNNEST of a MAP gives two columns (and WITH ORDINALITY one more): the
-- alias must name each.
CREATE TABLE orders (id INT, attrs MAP<STRING, INT>) WITH ('connector' = 'values');
SELECT * FROM orders CROSS JOIN UNNEST(attrs) WITH ORDINALITY AS a(k, v);
