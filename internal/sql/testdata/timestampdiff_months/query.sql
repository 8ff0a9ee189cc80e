-- TIMESTAMPDIFF in months, quarters and years is Flink's
-- DateTimeUtils.subtractMonths(b, a): whole months counted forward from the
-- earlier date (so the date part is antisymmetric: Jan 31 -> Feb 29 is 1
-- month, Feb 29 -> Jan 31 is -1), then one less when b's date is a's date
-- plus those months and b's time of day is earlier than a's (which only
-- applies when b is the later date); quarters and years divide the months,
-- truncating.
CREATE TABLE t (id INT, a TIMESTAMP(3), b TIMESTAMP(3)) WITH ('connector' = 'values');
CREATE TABLE o (id INT, m INT, q INT, y INT) WITH ('connector' = 'collect');
INSERT INTO o SELECT id, TIMESTAMPDIFF(MONTH, a, b), TIMESTAMPDIFF(QUARTER, a, b), TIMESTAMPDIFF(YEAR, a, b) FROM t;
