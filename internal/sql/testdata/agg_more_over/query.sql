-- FIRST_VALUE, LAST_VALUE, LISTAGG and STDDEV_POP as OVER aggregates. A
-- bounded frame retracts the rows that leave it (oldest first), so
-- FIRST_VALUE and LAST_VALUE take their retracting forms; the OVER
-- operator adds rows in timestamp order (p1's row at 00:03 arrives late).
CREATE TABLE orders (product STRING, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'values');
CREATE TABLE by_rows (product STRING, amount BIGINT, first_amount BIGINT, last_amount BIGINT, amounts STRING, sd BIGINT) WITH ('connector' = 'collect');
CREATE TABLE unbounded (product STRING, amount BIGINT, first_amount BIGINT, amounts STRING) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO by_rows
SELECT product, amount, FIRST_VALUE(amount) OVER w, LAST_VALUE(amount) OVER w,
  LISTAGG(CAST(amount AS STRING), ' ') OVER w, STDDEV_POP(amount) OVER w
FROM orders
WINDOW w AS (PARTITION BY product ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);
INSERT INTO unbounded
SELECT product, amount,
  FIRST_VALUE(amount) OVER (PARTITION BY product ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
  LISTAGG(CAST(amount AS STRING)) OVER (PARTITION BY product ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
FROM orders;
END;
