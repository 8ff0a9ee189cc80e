-- A group key is no event-time attribute after the aggregation (Flink
-- materialises the time attributes of group keys, window_time excepted):
-- the window aggregation's rows are timed by window_end - 1, not by ts.
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (ws TIMESTAMP(3), n BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE VIEW per AS SELECT window_start AS s30, auction, ts, SUM(price) AS price
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '30' SECOND)) GROUP BY window_start, window_end, auction, ts;
INSERT INTO out SELECT window_start, COUNT(*), SUM(price)
FROM TABLE(TUMBLE(TABLE per, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
