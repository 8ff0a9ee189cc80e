-- The window_time of a window aggregation stays an event-time attribute
-- through a window Top-N over the same windows (its value is the time the
-- Top-N's rows carry, window_end - 1) and as a group key of a window
-- aggregation over those windows: 30 s windows over the best auction of
-- each 10 s (top) and over the 10 s totals (regroup). The time column of
-- the bids is no time attribute after either (err_window_top_n_time_column,
-- err_window_agg_key_time_column).
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE top (ws TIMESTAMP(3), n BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE TABLE regroup (ws TIMESTAMP(3), n BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE VIEW sums AS SELECT window_start, window_end, window_time, auction, SUM(price) AS total
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, window_time, auction;
CREATE VIEW top1 AS SELECT window_time AS rt, auction, total FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY total DESC) AS rn FROM sums) WHERE rn = 1;
CREATE VIEW tens AS SELECT window_time AS rt, SUM(total) AS total FROM sums GROUP BY window_start, window_end, window_time;
INSERT INTO top SELECT window_start, COUNT(*), SUM(total)
  FROM TABLE(TUMBLE(TABLE top1, DESCRIPTOR(rt), INTERVAL '30' SECOND)) GROUP BY window_start, window_end;
INSERT INTO regroup SELECT window_start, COUNT(*), SUM(total)
  FROM TABLE(TUMBLE(TABLE tens, DESCRIPTOR(rt), INTERVAL '30' SECOND)) GROUP BY window_start, window_end;
