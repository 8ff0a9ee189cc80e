-- Top-N over an updating input (a changelog source): every row of a team is
-- kept, so a retracted top row lets a lower one move up (bob drops from 30
-- to 8, cid is deleted: ann and then bob come back into the top 2).
CREATE TABLE scores (player STRING, team STRING, score BIGINT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE top2 (team STRING, player STRING, score BIGINT, rn BIGINT) WITH ('connector' = 'collect');
INSERT INTO top2
SELECT team, player, score, rn FROM (
  SELECT team, player, score, ROW_NUMBER() OVER (PARTITION BY team ORDER BY score DESC) AS rn FROM scores
) WHERE rn <= 2;
EXPLAIN
SELECT team, player FROM (
  SELECT team, player, ROW_NUMBER() OVER (PARTITION BY team ORDER BY score DESC) AS rn FROM scores
) WHERE rn <= 2;
