-- String functions at their edges, as Flink's SqlFunctionUtils: LPAD/RPAD
-- with an empty pad are NULL (even when no padding is needed).
CREATE TABLE t (s STRING, p STRING, n INT) WITH ('connector' = 'values');
CREATE TABLE o (s STRING, p STRING, n INT, lp STRING, rp STRING) WITH ('connector' = 'collect');
INSERT INTO o SELECT s, p, n, LPAD(s, n, p), RPAD(s, n, p) FROM t;
