-- Windows over a TIMESTAMP_LTZ rowtime in a zone west of UTC
-- (America/Los_Angeles), read one row at a time so that the watermark
-- follows each row, across the start of summer time (2024-03-10 02:00 PST
-- -> 03:00 PDT, 10:00 UTC; no hourly window starts at 02:00). Rows (wall
-- time in Los Angeles): a 00:10, b 00:40, a 01:20, a 00:50 (late: the
-- watermark is at 01:20, the window [00:00, 01:00) has fired), b 01:50,
-- a 03:10, c 03:30, b 05:00. Every windowed operator fires a window when
-- the watermark reaches the instant of its window_end - 1 in the zone and
-- drops the late row: the window aggregation (over the view w, a window
-- relation, and over the TVF itself), the window Top-N over the window
-- TVF and over a window aggregation, the window aggregation over a window
-- aggregation's windows (cascaded); the window join fires its windows
-- (below). (Read as UTC instants, window ends in Los Angeles are hours
-- before the watermark: every row would be late.)
SET 'table.local-time-zone' = 'America/Los_Angeles';
CREATE TABLE ev (k STRING, v BIGINT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'values', 'one-per-read' = 'true');
CREATE TABLE agg (ws STRING, we STRING, wt STRING, n BIGINT, s BIGINT) WITH ('connector' = 'collect');
CREATE TABLE agg_tvf (ws STRING, n BIGINT, s BIGINT) WITH ('connector' = 'collect');
CREATE TABLE top (ws STRING, k STRING, v BIGINT) WITH ('connector' = 'collect');
CREATE TABLE top_agg (ws STRING, k STRING, s BIGINT) WITH ('connector' = 'collect');
CREATE TABLE cascade (ws STRING, we STRING, keys BIGINT, s BIGINT) WITH ('connector' = 'collect');
CREATE TABLE pairs (ws STRING, k STRING, lv BIGINT, rv BIGINT) WITH ('connector' = 'collect');
CREATE VIEW w AS SELECT * FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '1' HOUR));
CREATE VIEW per_key AS SELECT k, window_start, window_end, SUM(v) AS s FROM w GROUP BY k, window_start, window_end;
INSERT INTO agg
SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), CAST(window_time AS STRING), COUNT(*), SUM(v)
FROM w GROUP BY window_start, window_end, window_time;
INSERT INTO agg_tvf
SELECT CAST(window_start AS STRING), COUNT(*), SUM(v)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '1' HOUR)) GROUP BY window_start, window_end;
INSERT INTO top
SELECT CAST(window_start AS STRING), k, v FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY v DESC) AS rn FROM w)
WHERE rn = 1;
INSERT INTO top_agg
SELECT CAST(window_start AS STRING), k, s FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY s DESC) AS rn FROM per_key)
WHERE rn = 1;
INSERT INTO cascade
SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), COUNT(*), SUM(s)
FROM per_key GROUP BY window_start, window_end;
-- The window join's watermark is the lesser of its two inputs', which
-- reach it on two channels: whether the late row is late on one side
-- depends on how far the other side's watermark got, so the join reads
-- the rows without it (TestWindowJoinZoneDropsLateRows drives a late row
-- through the join in this zone).
CREATE VIEW ev_on_time AS SELECT * FROM ev WHERE v <> 7;
CREATE VIEW w_on_time AS SELECT * FROM TABLE(TUMBLE(TABLE ev_on_time, DESCRIPTOR(ts), INTERVAL '1' HOUR));
INSERT INTO pairs
SELECT CAST(l.window_start AS STRING), l.k, l.v, r.v FROM w_on_time l JOIN w_on_time r
ON l.k = r.k AND l.window_start = r.window_start AND l.window_end = r.window_end;
