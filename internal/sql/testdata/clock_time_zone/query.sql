-- The session time zone (Flink's 'table.local-time-zone', UTC unless SET)
-- converts TIMESTAMP_LTZ to and from wall-clock time: the same instants
-- rendered in UTC, in Europe/Berlin (across the start of summer time,
-- 2024-03-31 01:00 UTC) and at a fixed offset; CURRENT_DATE and
-- LOCALTIMESTAMP read the clock (file "clock": 2024-03-30T23:30:00.250Z,
-- already March 31 in Berlin) in the zone. Each INSERT runs in the zone
-- set before it; constants (folded when the job is planned) too.
CREATE TABLE t (k INT, ms BIGINT) WITH ('connector' = 'values');
CREATE TABLE utc (k INT, s STRING, wall STRING, fmt STRING, d DATE, lts TIMESTAMP(3), back TIMESTAMP_LTZ(3),
    ux BIGINT, epoch0 STRING, fu STRING) WITH ('connector' = 'collect');
CREATE TABLE berlin (k INT, s STRING, wall STRING, fmt STRING, d DATE, lts TIMESTAMP(3), back TIMESTAMP_LTZ(3),
    ux BIGINT, epoch0 STRING, fu STRING) WITH ('connector' = 'collect');
CREATE TABLE fixed (k INT, s STRING, wall STRING, fmt STRING, d DATE, lts TIMESTAMP(3), back TIMESTAMP_LTZ(3),
    ux BIGINT, epoch0 STRING, fu STRING) WITH ('connector' = 'collect');
CREATE VIEW v AS SELECT k,
    CAST(TO_TIMESTAMP_LTZ(ms, 3) AS STRING) AS s,
    CAST(CAST(TO_TIMESTAMP_LTZ(ms, 3) AS TIMESTAMP(3)) AS STRING) AS wall,
    DATE_FORMAT(TO_TIMESTAMP_LTZ(ms, 3), 'yyyy-MM-dd HH:mm') AS fmt,
    CURRENT_DATE AS d, LOCALTIMESTAMP AS lts,
    CAST(TIMESTAMP '2024-03-31 12:00:00' AS TIMESTAMP_LTZ(3)) AS back,
    UNIX_TIMESTAMP('2024-03-31 12:00:00') AS ux,
    CAST(TO_TIMESTAMP_LTZ(0, 3) AS STRING) AS epoch0,
    FROM_UNIXTIME(ms / 1000) AS fu
FROM t;
INSERT INTO utc SELECT * FROM v;
SET 'table.local-time-zone' = 'Europe/Berlin';
INSERT INTO berlin SELECT * FROM v;
SET 'table.local-time-zone' = 'GMT-08:00';
INSERT INTO fixed SELECT * FROM v;
