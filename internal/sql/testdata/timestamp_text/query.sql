-- A TIMESTAMP(p) or TIMESTAMP_LTZ(p) as text keeps p fraction digits, as
-- Flink's CAST to STRING and SQL client (DateTimeUtils.formatTimestamp):
-- TIMESTAMP(3) "2020-01-01 00:00:00.000", TIMESTAMP(0) no fraction,
-- TIMESTAMP(6) and (9) padded to 6 and 9 digits, also inside an ARRAY and a
-- ROW. A TIMESTAMP literal has as many digits of precision as it writes
-- (TIMESTAMP '... 00:00:00.5' is TIMESTAMP(1)), as in Calcite. The
-- TIMESTAMP_LTZ shows in the session zone. (A bare SELECT and the print
-- connector: TestTimestampTextPrecision.)
SET 'table.local-time-zone' = 'Asia/Shanghai';
CREATE TABLE t (id INT, ts TIMESTAMP(3), ts0 TIMESTAMP(0), ts6 TIMESTAMP(6), ts9 TIMESTAMP(9), ltz TIMESTAMP_LTZ(3)) WITH ('connector' = 'values');
CREATE TABLE o (id INT, s3 STRING, s0 STRING, s6 STRING, s9 STRING, sltz STRING, sarr STRING, slit STRING) WITH ('connector' = 'collect');
INSERT INTO o SELECT id, CAST(ts AS STRING), CAST(ts0 AS STRING), CAST(ts6 AS VARCHAR(40)), CAST(ts9 AS STRING), CAST(ltz AS STRING),
  CAST(ARRAY[ts, ts] AS STRING), CAST(TIMESTAMP '2020-01-01 00:00:00.5' AS STRING) FROM t;
DESCRIBE t;
