-- Window Top-N (Flink's WindowRank): the two auctions with the most bids of
-- each 10-second window, emitted once as inserts when the watermark passes
-- the window's end; a bid whose window has already fired is late and
-- dropped. Ties keep arrival order.
CREATE TABLE bids (
  auction BIGINT,
  price BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'values', 'one-per-read' = 'true');

CREATE TABLE out (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  auction BIGINT,
  bids BIGINT,
  top BIGINT,
  rk BIGINT
) WITH ('connector' = 'collect');

INSERT INTO out
SELECT window_start, window_end, auction, bids, top, rk FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY bids DESC, top DESC) AS rk
  FROM (
    SELECT window_start, window_end, auction, COUNT(*) AS bids, MAX(price) AS top
    FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
    GROUP BY window_start, window_end, auction))
WHERE rk <= 2;
