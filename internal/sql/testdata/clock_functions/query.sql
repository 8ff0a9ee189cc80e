-- The clock-reading functions in a running job read the job's
-- processing-time clock (here a manual one, file "clock":
-- 2024-03-30T23:30:00.250Z), per record, in the session time zone (UTC
-- unless SET 'table.local-time-zone'). In a projection, a filter and a
-- join condition.
CREATE TABLE t (k INT, v STRING) WITH ('connector' = 'values');
CREATE TABLE u (k INT, w STRING) WITH ('connector' = 'values');
CREATE TABLE out (k INT, ts TIMESTAMP_LTZ(3), n TIMESTAMP_LTZ(3), crt TIMESTAMP_LTZ(3), lts TIMESTAMP(3),
    d DATE, ct TIME(0), lt TIME(0), ux BIGINT, pt TIMESTAMP_LTZ(3), txt STRING, dtxt STRING)
    WITH ('connector' = 'collect');
CREATE TABLE filtered (k INT, v STRING) WITH ('connector' = 'collect');
CREATE TABLE joined (k INT, v STRING, w STRING) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, CURRENT_TIMESTAMP, NOW(), CURRENT_ROW_TIMESTAMP(), LOCALTIMESTAMP,
    CURRENT_DATE, CURRENT_TIME, LOCALTIME, UNIX_TIMESTAMP(), PROCTIME(),
    CAST(CURRENT_TIMESTAMP AS STRING), CAST(CURRENT_DATE AS STRING)
FROM t;
INSERT INTO filtered SELECT k, v FROM t
WHERE CURRENT_DATE = DATE '2024-03-30' AND CURRENT_TIMESTAMP >= TO_TIMESTAMP_LTZ(1711841400000, 3) AND k < 3;
INSERT INTO joined SELECT t.k, t.v, u.w FROM t LEFT JOIN u
ON t.k = u.k AND CURRENT_DATE < DATE '2024-03-31';
