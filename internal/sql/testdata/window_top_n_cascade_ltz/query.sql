-- window_top_n_cascade over a TIMESTAMP_LTZ rowtime in Asia/Shanghai
-- (UTC+8): hourly sums, the best key of each hour (window Top-N, its
-- window_time a time attribute), and 1-day windows over that window_time
-- from local midnight. The hour from 23:00 belongs to its own day: the
-- Top-N's rows are timed by window_end - 1, not window_end.
SET 'table.local-time-zone' = 'Asia/Shanghai';
CREATE TABLE a (k INT, v INT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (ws STRING, n BIGINT, total INT) WITH ('connector' = 'collect');
CREATE VIEW sums AS SELECT window_start, window_end, window_time, k, SUM(v) AS total
  FROM TABLE(TUMBLE(TABLE a, DESCRIPTOR(ts), INTERVAL '1' HOUR)) GROUP BY window_start, window_end, window_time, k;
CREATE VIEW top1 AS SELECT window_time AS rt, k, total FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY total DESC) AS rn FROM sums) WHERE rn = 1;
INSERT INTO out SELECT CAST(window_start AS STRING), COUNT(*), SUM(total)
  FROM TABLE(TUMBLE(TABLE top1, DESCRIPTOR(rt), INTERVAL '1' DAY)) GROUP BY window_start, window_end;
