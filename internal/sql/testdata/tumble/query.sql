-- Window TVF aggregation: TUMBLE, insert-only results when the watermark
-- passes a window's end.
CREATE TABLE bids (
  auction BIGINT,
  bidder STRING,
  price BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'values');

CREATE TABLE out (
  auction BIGINT,
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  bids BIGINT,
  total BIGINT,
  top BIGINT,
  mean BIGINT,
  bidders BIGINT
) WITH ('connector' = 'collect');

INSERT INTO out
SELECT auction, window_start, window_end, COUNT(*), SUM(price), MAX(price), AVG(price), COUNT(DISTINCT bidder)
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end;
