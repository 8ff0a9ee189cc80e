-- Windows over a TIMESTAMP_LTZ rowtime follow the session time zone, as
-- in Flink (FLIP-162): in Europe/Berlin a 1-day TUMBLE starts at local
-- midnight, so the day summer time starts (2024-03-31, 01:00 UTC) has 23
-- hours and the day it ends (2024-10-27, 01:00 UTC) 25; window_start and
-- window_end are wall-clock TIMESTAMP(3) in Berlin, window_time is the
-- TIMESTAMP_LTZ(3) instant of window_end - 1 ms there (ws/we/wt print them
-- as strings, wt_ms is the instant). Hourly windows: none from 02:00 on
-- March 31 (the clocks skip it); the one from 02:00 on October 27 holds
-- both 02:xx hours (CEST, then CET) and fires after the second, while its
-- window_time is the first 02:59:59.999 (Flink's toEpochMills takes the
-- earlier offset). The same rows over a TIMESTAMP attribute (table evt,
-- UTC wall time) keep the windows of UTC.
SET 'table.local-time-zone' = 'Europe/Berlin';
CREATE TABLE ev (k INT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE evt (k INT, ms BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE day (ws STRING, we STRING, wt STRING, wt_ms TIMESTAMP_LTZ(3), hours BIGINT, n BIGINT, lo BIGINT) WITH ('connector' = 'collect');
CREATE TABLE hour (ws STRING, we STRING, wt STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE hop (ws STRING, we STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE cumulate (ws STRING, we STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE session (k INT, ws STRING, we STRING, wt STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE day_ts (ws STRING, we STRING, wt STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE hour_ts (ws STRING, we STRING, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO day
SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), CAST(window_time AS STRING), window_time,
    (UNIX_TIMESTAMP(CAST(window_end AS STRING)) - UNIX_TIMESTAMP(CAST(window_start AS STRING))) / 3600,
    COUNT(*), MIN(ms)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '1' DAY))
GROUP BY window_start, window_end, window_time;
INSERT INTO hour
SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), CAST(window_time AS STRING), COUNT(*)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY window_start, window_end, window_time;
INSERT INTO hop
SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), COUNT(*)
FROM TABLE(HOP(TABLE ev, DESCRIPTOR(ts), INTERVAL '12' HOUR, INTERVAL '1' DAY))
GROUP BY window_start, window_end;
INSERT INTO cumulate
SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), COUNT(*)
FROM TABLE(CUMULATE(TABLE ev, DESCRIPTOR(ts), INTERVAL '6' HOUR, INTERVAL '1' DAY))
GROUP BY window_start, window_end;
INSERT INTO session
SELECT k, CAST(window_start AS STRING), CAST(window_end AS STRING), CAST(window_time AS STRING), COUNT(*)
FROM TABLE(SESSION(TABLE ev PARTITION BY k, DESCRIPTOR(ts), INTERVAL '90' MINUTE))
GROUP BY k, window_start, window_end, window_time;
INSERT INTO day_ts
SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), CAST(window_time AS STRING), COUNT(*)
FROM TABLE(TUMBLE(TABLE evt, DESCRIPTOR(ts), INTERVAL '1' DAY))
GROUP BY window_start, window_end, window_time;
INSERT INTO hour_ts
SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), COUNT(*)
FROM TABLE(TUMBLE(TABLE evt, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY window_start, window_end;
