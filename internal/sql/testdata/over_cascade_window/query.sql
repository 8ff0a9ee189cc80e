-- An OVER aggregation emits each row at its own time (when the watermark
-- passes it), so its time column stays an event-time attribute: a window
-- over it places each row by its own ts (10 s windows of the running sums
-- per auction).
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (ws TIMESTAMP(3), n BIGINT, best BIGINT) WITH ('connector' = 'collect');
CREATE VIEW running AS SELECT auction, ts,
  SUM(price) OVER (PARTITION BY auction ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run FROM bids;
INSERT INTO out SELECT window_start, COUNT(*), MAX(run)
  FROM TABLE(TUMBLE(TABLE running, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
