-- A LEFT interval join (Flink's outer IntervalJoin): orders with the
-- payments within 5 s either side. Order 1 matches two payments (two
-- pairs); order 2 none (padded when the watermark passes 00:15 + 5 s);
-- order 3 has a NULL user (never matches: padded); payment 9 matches
-- nothing (a LEFT join drops it); order 4's payment is 6 s later (out of
-- range: padded); order 5's payment fails the residual condition
-- (padded); order 6 matches payments 10, 11 and 12 (payments 10 and 11
-- match twice). Insert-only: an append-only sink takes it.
CREATE TABLE orders (id BIGINT, usr STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values');
CREATE TABLE pays (pid BIGINT, usr STRING, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values');
CREATE TABLE out (id BIGINT, pid BIGINT, ots TIMESTAMP(3), pts TIMESTAMP(3)) WITH ('connector' = 'collect', 'append-only' = 'true');

INSERT INTO out
SELECT o.id, p.pid, o.ts, p.ts
FROM orders o LEFT JOIN pays p
  ON o.usr = p.usr AND o.ts BETWEEN p.ts - INTERVAL '5' SECOND AND p.ts + INTERVAL '5' SECOND AND p.amount > 0;
