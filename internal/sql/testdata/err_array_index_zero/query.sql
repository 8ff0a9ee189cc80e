-- Array indexes start at 1: a literal index below 1 is refused when the
-- query is planned, as in Flink (a computed index outside the array gives
-- NULL).
CREATE TABLE orders (id INT, items ARRAY<STRING>) WITH ('connector' = 'values');
SELECT id, items[0] FROM orders;
