-- OVER aggregations in event time: rows wait for the watermark and are
-- emitted in timestamp order (p1's rows at 00:03 and 00:12 arrive out of
-- order); rows of one timestamp are peers in a RANGE frame.
CREATE TABLE orders (product STRING, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'values');
CREATE TABLE by_rows (product STRING, amount BIGINT, ts TIMESTAMP(3), n BIGINT, total BIGINT, top BIGINT) WITH ('connector' = 'collect');
CREATE TABLE by_range (product STRING, amount BIGINT, ts TIMESTAMP(3), n BIGINT, total BIGINT, low BIGINT) WITH ('connector' = 'collect');
CREATE TABLE unbounded (product STRING, amount BIGINT, n BIGINT, total BIGINT, avg_amount BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO by_rows
SELECT product, amount, ts,
  COUNT(*) OVER w, SUM(amount) OVER w, MAX(amount) OVER w
FROM orders
WINDOW w AS (PARTITION BY product ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW);
INSERT INTO by_range
SELECT product, amount, ts,
  COUNT(*) OVER (PARTITION BY product ORDER BY ts RANGE BETWEEN INTERVAL '3' SECOND PRECEDING AND CURRENT ROW),
  SUM(amount) OVER (PARTITION BY product ORDER BY ts RANGE BETWEEN INTERVAL '3' SECOND PRECEDING AND CURRENT ROW),
  MIN(amount) OVER (PARTITION BY product ORDER BY ts RANGE BETWEEN INTERVAL '3' SECOND PRECEDING AND CURRENT ROW)
FROM orders;
INSERT INTO unbounded
SELECT product, amount,
  COUNT(*) OVER (PARTITION BY product ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
  SUM(amount) OVER (PARTITION BY product ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
  AVG(amount) OVER (PARTITION BY product ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
FROM orders WHERE amount > 1;
END;
