-- An aggregate of the time column (MAX(ts)) is no event-time attribute
-- (Flink materialises the time attributes of aggregate results): the
-- window aggregation's rows are timed by window_end - 1.
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (ws TIMESTAMP(3), n BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE VIEW per AS SELECT window_start AS s30, auction, MAX(ts) AS last_ts, SUM(price) AS price
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '30' SECOND)) GROUP BY window_start, window_end, auction;
INSERT INTO out SELECT window_start, COUNT(*), SUM(price)
FROM TABLE(TUMBLE(TABLE per, DESCRIPTOR(last_ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
