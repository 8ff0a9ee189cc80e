-- RANK Top-N over an updating input (the retracting Top-N keeps every row
-- of the partition): cid ties bob at rank 1 and pushes ann (rank 3) out;
-- bob's retraction brings ann back at rank 2; bob's new score 5 ranks 3
-- (no change); cid's deletion leaves ann 1 and bob 2.
CREATE TABLE scores (player STRING, team STRING, score BIGINT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE top2 (team STRING, player STRING, score BIGINT, rk BIGINT) WITH ('connector' = 'collect');
INSERT INTO top2
SELECT team, player, score, rk FROM (
  SELECT team, player, score, RANK() OVER (PARTITION BY team ORDER BY score DESC) AS rk FROM scores
) WHERE rk <= 2;
EXPLAIN
SELECT team, player, rk FROM (
  SELECT team, player, DENSE_RANK() OVER (PARTITION BY team ORDER BY score DESC) AS rk FROM scores
) WHERE rk <= 2;
