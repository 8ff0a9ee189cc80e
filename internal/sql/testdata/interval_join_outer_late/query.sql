-- Late rows of a FULL interval join (as Flink's: not dropped), one table
-- split into the two sides: L a@10 pairs with R a@12; 600 rows of 01:00:00
-- (more than a source batch; neither side) move the watermark past both.
-- Then L a@14 comes late: R a@12 has left the state (its range ended at
-- 17 s), so it is padded at once. L b@01:00:02 waits; R b@00:59:58 comes
-- late, but L b is still in state: they pair. Parallelism 1 only (file
-- parallelism1).
CREATE TABLE ev (side STRING, k STRING, id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values');
CREATE TABLE out (lid BIGINT, rid BIGINT, lts TIMESTAMP(3), rts TIMESTAMP(3)) WITH ('connector' = 'collect');

INSERT INTO out
SELECT l.id, r.id, l.ts, r.ts
FROM (SELECT * FROM ev WHERE side = 'L') l FULL JOIN (SELECT * FROM ev WHERE side = 'R') r
  ON l.k = r.k AND l.ts BETWEEN r.ts - INTERVAL '5' SECOND AND r.ts + INTERVAL '5' SECOND;
