-- A RIGHT interval join, the data of interval_join_left: the pairs, and
-- the payments without a partner padded (12 is out of order 1's range but
-- in order 6's; 13 has a NULL user; 9 has no order; 14 is 6 s after
-- order 4; 15 fails the residual condition). The orders without a
-- partner are dropped. The sides written the other way round (p.ts
-- bounded by o.ts).
CREATE TABLE orders (id BIGINT, usr STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values');
CREATE TABLE pays (pid BIGINT, usr STRING, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values');
CREATE TABLE out (id BIGINT, pid BIGINT, ots TIMESTAMP(3), pts TIMESTAMP(3)) WITH ('connector' = 'collect', 'append-only' = 'true');

INSERT INTO out
SELECT o.id, p.pid, o.ts, p.ts
FROM orders o RIGHT JOIN pays p
  ON p.usr = o.usr AND p.amount > 0 AND p.ts >= o.ts - INTERVAL '5' SECOND AND p.ts <= o.ts + INTERVAL '5' SECOND;
