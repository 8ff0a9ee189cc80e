-- Late rows: p1's row of 00:00:02 comes after 600 rows of 01:00:00 (more
-- than a source batch), when the watermark has passed it: the OVER
-- aggregation and the window aggregation drop it (and count it as late).
-- Parallelism 1 only (file parallelism1).
CREATE TABLE ev (k STRING, v BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE over_out (k STRING, v BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE TABLE win_out (k STRING, window_start TIMESTAMP(3), n BIGINT, total BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO over_out
SELECT k, v, SUM(v) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
FROM ev WHERE k <> 'filler';
-- A window aggregation of a window aggregation's result: the late row's
-- window fired long ago.
INSERT INTO win_out
SELECT k, window_start, COUNT(*), SUM(s)
FROM (SELECT k, window_start, window_end, SUM(v) AS s FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY k, window_start, window_end)
WHERE k <> 'filler'
GROUP BY k, window_start, window_end;
END;
