-- LEFT JOIN UNNEST takes ON TRUE only, as in Flink.
CREATE TABLE orders (id INT, items ARRAY<STRING>) WITH ('connector' = 'values');
SELECT * FROM orders LEFT JOIN UNNEST(items) AS t(item) ON item <> 'x';
