-- Windows over a TIMESTAMP_LTZ rowtime in Asia/Shanghai (UTC+8, no
-- daylight saving time): 1-day windows from local midnight (16:00 UTC)
-- through every window operator: the window table function's rows, a
-- window join, a window Top-N over the table function and one over a
-- window aggregation, the group window TUMBLE(ts, ...) with
-- TUMBLE_START/END/ROWTIME, a window aggregation over the windows of a
-- window aggregation, and cascaded windows over window_time (a
-- TIMESTAMP_LTZ(3) rowtime, so shifted again).
SET 'table.local-time-zone' = 'Asia/Shanghai';
CREATE TABLE a (k INT, v INT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE b (k INT, w INT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE tvf (k INT, ws STRING, we STRING, wt STRING, wt_ms TIMESTAMP_LTZ(3)) WITH ('connector' = 'collect');
CREATE TABLE joined (k INT, v INT, w INT, ws STRING, we STRING) WITH ('connector' = 'collect');
CREATE TABLE top_tvf (ws STRING, k INT, v INT) WITH ('connector' = 'collect');
CREATE TABLE top_agg (ws STRING, k INT, total INT) WITH ('connector' = 'collect');
CREATE TABLE grp (k INT, ws STRING, we STRING, wr STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE regroup (ws STRING, we STRING, total INT) WITH ('connector' = 'collect');
CREATE TABLE cascade (ws STRING, we STRING, wt STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE VIEW aw AS SELECT * FROM TABLE(TUMBLE(TABLE a, DESCRIPTOR(ts), INTERVAL '1' DAY));
CREATE VIEW bw AS SELECT * FROM TABLE(TUMBLE(TABLE b, DESCRIPTOR(ts), INTERVAL '1' DAY));
CREATE VIEW sums AS SELECT k, window_start, window_end, window_time, SUM(v) AS total
    FROM TABLE(TUMBLE(TABLE a, DESCRIPTOR(ts), INTERVAL '1' DAY)) GROUP BY k, window_start, window_end, window_time;
CREATE VIEW hourly AS SELECT window_time AS rt, COUNT(*) AS n
    FROM TABLE(TUMBLE(TABLE a, DESCRIPTOR(ts), INTERVAL '1' HOUR)) GROUP BY window_start, window_end, window_time;
INSERT INTO tvf SELECT k, CAST(window_start AS STRING), CAST(window_end AS STRING), CAST(window_time AS STRING), window_time FROM aw;
INSERT INTO joined SELECT aw.k, aw.v, bw.w, CAST(aw.window_start AS STRING), CAST(aw.window_end AS STRING)
    FROM aw JOIN bw ON aw.k = bw.k AND aw.window_start = bw.window_start AND aw.window_end = bw.window_end;
INSERT INTO top_tvf SELECT CAST(window_start AS STRING), k, v FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY v DESC) AS rn FROM aw) WHERE rn = 1;
INSERT INTO top_agg SELECT CAST(window_start AS STRING), k, total FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY total DESC) AS rn FROM sums) WHERE rn = 1;
INSERT INTO grp SELECT k, CAST(TUMBLE_START(ts, INTERVAL '1' DAY) AS STRING), CAST(TUMBLE_END(ts, INTERVAL '1' DAY) AS STRING),
    CAST(TUMBLE_ROWTIME(ts, INTERVAL '1' DAY) AS STRING), COUNT(*)
    FROM a GROUP BY k, TUMBLE(ts, INTERVAL '1' DAY);
INSERT INTO regroup SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), SUM(total) FROM sums GROUP BY window_start, window_end;
INSERT INTO cascade SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), CAST(window_time AS STRING), SUM(n)
    FROM TABLE(TUMBLE(TABLE hourly, DESCRIPTOR(rt), INTERVAL '1' DAY)) GROUP BY window_start, window_end, window_time;
