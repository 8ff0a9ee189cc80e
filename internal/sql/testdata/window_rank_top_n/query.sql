-- Window Top-N by RANK and DENSE_RANK straight over a window table
-- function: the bids of rank <= 2 by price in each 10-second window,
-- emitted once as inserts when the window fires. Window 1: 20, 20, 15, 10
-- rank 1, 1, 3, 4 (RANK keeps the two 20s) and 1, 1, 2, 3 (DENSE_RANK adds
-- the 15); the bid of 40 at 5 s comes after the watermark (12 s - 1 s)
-- passed its window's end and is dropped as late. Window 2: 30, 30, 25.
CREATE TABLE bids (
  auction BIGINT,
  price BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'values', 'one-per-read' = 'true');

CREATE TABLE ranked (window_start TIMESTAMP(3), auction BIGINT, price BIGINT, rk BIGINT) WITH ('connector' = 'collect');
CREATE TABLE dense (window_start TIMESTAMP(3), auction BIGINT, price BIGINT, rk BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO ranked
SELECT window_start, auction, price, rk FROM (
  SELECT *, RANK() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rk
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)))
WHERE rk <= 2;
INSERT INTO dense
SELECT window_start, auction, price, rk FROM (
  SELECT *, DENSE_RANK() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rk
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)))
WHERE rk <= 2;
END;
EXPLAIN
SELECT window_start, auction, rk FROM (
  SELECT *, DENSE_RANK() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rk
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)))
WHERE rk <= 2;
