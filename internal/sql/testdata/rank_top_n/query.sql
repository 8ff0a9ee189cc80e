-- RANK and DENSE_RANK Top-N over an insert-only input (beyond Flink, whose
-- streaming Rank takes ROW_NUMBER only; ranks as Flink's batch Rank and SQL):
-- peers (equal scores) share a rank, so `rk <= 2` may keep more than two
-- rows; RANK skips the numbers peers use (30, 20, 20 are 1, 2, 2 and 10
-- is 4), DENSE_RANK does not (10 is 3). The changelog goes position by
-- position: -U/+U where the row or its rank changed, +I/-D for a position
-- filled/emptied.
CREATE TABLE scores (team STRING, player STRING, score BIGINT) WITH ('connector' = 'values');
CREATE TABLE ranked (team STRING, player STRING, score BIGINT, rk BIGINT) WITH ('connector' = 'collect');
CREATE TABLE dense (team STRING, player STRING, score BIGINT, rk BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO ranked
SELECT team, player, score, rk FROM (
  SELECT *, RANK() OVER (PARTITION BY team ORDER BY score DESC) AS rk FROM scores
) WHERE rk <= 2;
INSERT INTO dense
SELECT team, player, score, rk FROM (
  SELECT *, DENSE_RANK() OVER (PARTITION BY team ORDER BY score DESC) AS rk FROM scores
) WHERE rk <= 2;
END;
