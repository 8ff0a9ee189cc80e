-- A FULL interval join, the data of interval_join_left: the pairs, the
-- orders without a partner (2, 3 with a NULL user, 4, 5) and the payments
-- without one (13 with a NULL user, 9, 14, 15), each padded once.
CREATE TABLE orders (id BIGINT, usr STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values');
CREATE TABLE pays (pid BIGINT, usr STRING, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values');
CREATE TABLE out (id BIGINT, pid BIGINT, ots TIMESTAMP(3), pts TIMESTAMP(3)) WITH ('connector' = 'collect', 'append-only' = 'true');

INSERT INTO out
SELECT o.id, p.pid, o.ts, p.ts
FROM orders o FULL OUTER JOIN pays p
  ON o.usr = p.usr AND o.ts BETWEEN p.ts - INTERVAL '5' SECOND AND p.ts + INTERVAL '5' SECOND AND p.amount > 0;
