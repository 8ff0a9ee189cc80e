-- Projection, WHERE, scalar functions and a computed column.
CREATE TABLE orders (
  id BIGINT,
  customer STRING,
  amount DECIMAL(10, 2),
  qty INT,
  ts TIMESTAMP(3),
  total AS amount * qty,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('connector' = 'values');

CREATE TABLE out (
  id BIGINT,
  who STRING,
  total DECIMAL(21, 2),
  big BOOLEAN,
  doubled BIGINT
) WITH ('connector' = 'collect');

INSERT INTO out
SELECT id, UPPER(customer) || '!', total, amount > 10, twice(id)
FROM orders
WHERE qty > 0 AND customer IS NOT NULL;
