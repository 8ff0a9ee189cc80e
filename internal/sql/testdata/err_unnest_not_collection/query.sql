-- UNNEST of a value that is not an ARRAY or a MAP.
CREATE TABLE orders (id INT, items STRING) WITH ('connector' = 'values');
SELECT id, item FROM orders
CROSS JOIN UNNEST(items) AS t(item);
