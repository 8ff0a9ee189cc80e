-- AVG of an integer type sums in a BIGINT and casts the quotient back to
-- the argument type (Flink's IntAvgAggFunction etc., getSumType BIGINT):
-- AVG(INT) of 2147483647 and 1 is 1073741824, AVG(TINYINT) of 100 and 100
-- is 100; the quotient truncates toward zero (-7 and 2: -2). SUM of an
-- integer type keeps the type and wraps (Java int arithmetic).
CREATE TABLE t (k INT, i INT, t TINYINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE o (k INT, ai INT, at TINYINT, si INT) WITH ('connector' = 'collect');
CREATE TABLE w (k INT, ai INT, at TINYINT) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO o SELECT k, AVG(i), AVG(t), SUM(i) FROM t GROUP BY k;
INSERT INTO w SELECT k, AVG(i), AVG(t) FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY k, window_start, window_end;
END;
