-- A window Top-N emits its rows when the window fires, timed by the
-- window's window_time (window_end - 1), so the time column of the window
-- table function it ranks is no event-time attribute after it (as in
-- Flink, FLIP-145: the window TVF's time column is a plain timestamp
-- after it): a window over it is an error, not windows of the wrong rows
-- (each row went to the window holding 00:00:29.999).
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (ws TIMESTAMP(3), n BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE VIEW top2 AS SELECT auction, price, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rn
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '30' SECOND))) WHERE rn <= 2;
INSERT INTO out SELECT window_start, COUNT(*), SUM(price)
FROM TABLE(TUMBLE(TABLE top2, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
