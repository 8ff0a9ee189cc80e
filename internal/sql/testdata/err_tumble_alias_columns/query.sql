-- The alias column list of a window TVF names every column: the table's and
-- window_start, window_end, window_time.
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE out (a BIGINT, total BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT a, SUM(p)
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) AS w(a, p, t)
GROUP BY a, window_start, window_end;
