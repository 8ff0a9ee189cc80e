-- Cascaded windows: window_time of a window aggregation is an event-time
-- attribute, so a window TVF can take it (per-auction 5 s sums, then the
-- best auction sum of each 10 s; Flink's example of cascading windows).
CREATE TABLE bids (
  auction BIGINT,
  bidder STRING,
  price BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'values');
CREATE TABLE out (window_start TIMESTAMP(3), window_end TIMESTAMP(3), best BIGINT, n BIGINT) WITH ('connector' = 'collect');
CREATE VIEW five AS
SELECT auction, window_start AS five_start, window_end AS five_end, window_time AS rowtime, SUM(price) AS total
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY auction, window_start, window_end, window_time;
INSERT INTO out
SELECT window_start, window_end, MAX(total), COUNT(*)
FROM TABLE(TUMBLE(TABLE five, DESCRIPTOR(rowtime), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
