-- CURRENT_TIMESTAMP, CURRENT_DATE and LOCALTIMESTAMP are evaluated per
-- record (Flink's streaming mode), not once per job: the source moves the
-- manual clock (file "clock": 2024-03-30T21:30:00Z) by an hour before each
-- row, so in Europe/Berlin the date changes at midnight, between the
-- first row (23:30 CET) and the second (00:30 on March 31); summer time
-- starts between the third and the fourth (01:30 CET, 03:30 CEST).
SET 'table.local-time-zone' = 'Europe/Berlin';
CREATE TABLE t (k INT) WITH ('connector' = 'values', 'advance-clock' = '1h');
CREATE TABLE out (k INT, ts TIMESTAMP_LTZ(3), d DATE, lts STRING, today BOOLEAN) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, CURRENT_TIMESTAMP, CURRENT_DATE, CAST(LOCALTIMESTAMP AS STRING),
    CURRENT_DATE = DATE '2024-03-30' FROM t;
