-- UNNEST alone in the FROM of a subquery cannot read the outer query's
-- columns yet (Flink decorrelates it into a Correlate): the error says so
-- and names the join to write instead.
CREATE TABLE orders (id INT, items ARRAY<INT>) WITH ('connector' = 'values');
SELECT id FROM orders AS o WHERE EXISTS (SELECT 1 FROM UNNEST(o.items) AS u(x) WHERE x > 2);
