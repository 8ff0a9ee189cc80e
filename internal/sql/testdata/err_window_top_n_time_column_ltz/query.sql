-- As err_window_top_n_time_column over a TIMESTAMP_LTZ rowtime in a shift
-- time zone (the Top-N's rows are timed by the instant of the window's
-- window_time there): the passed-through time column is no time attribute.
SET 'table.local-time-zone' = 'Asia/Shanghai';
CREATE TABLE a (k INT, v INT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (ws STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE VIEW top1 AS SELECT k, v, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY v DESC) AS rn
  FROM TABLE(TUMBLE(TABLE a, DESCRIPTOR(ts), INTERVAL '1' DAY))) WHERE rn = 1;
INSERT INTO out SELECT CAST(window_start AS STRING), COUNT(*)
FROM TABLE(TUMBLE(TABLE top1, DESCRIPTOR(ts), INTERVAL '1' HOUR)) GROUP BY window_start, window_end;
