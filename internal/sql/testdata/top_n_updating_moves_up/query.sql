-- Top-N over an updating input, an update moving a row up (q6's winning
-- bid of an auction rising): cid goes from 20 (rank 2) to 35 (rank 1).
-- Row by row (Flink's changelog, without mini-batch) the -U lets ann up
-- to rank 2 and the +U pushes bob and ann back down: three -U/+U pairs.
-- With mini-batch on the pair's change is emitted once, from the Top-N
-- before the -U to the one after the +U (two pairs, the same final
-- result: TestMiniBatchTopNCoalesces).
CREATE TABLE scores (player STRING, team STRING, score BIGINT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE top2 (team STRING, player STRING, score BIGINT, rn BIGINT) WITH ('connector' = 'collect');
INSERT INTO top2
SELECT team, player, score, rn FROM (
  SELECT team, player, score, ROW_NUMBER() OVER (PARTITION BY team ORDER BY score DESC) AS rn FROM scores
) WHERE rn <= 2;
