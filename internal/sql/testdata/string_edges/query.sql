-- String functions at their edges, as Flink's SqlFunctionUtils: LPAD/RPAD
-- with an empty pad are NULL (even when no padding is needed); SPLIT_INDEX
-- of '' is NULL (no fields), an empty delimiter splits at every whitespace
-- character keeping empty fields (commons-lang's
-- splitByWholeSeparatorPreserveAllTokens); REGEXP with an empty pattern is
-- FALSE.
CREATE TABLE t (s STRING, p STRING, n INT) WITH ('connector' = 'values');
CREATE TABLE u (s STRING, d STRING, i INT) WITH ('connector' = 'values');
CREATE TABLE o (s STRING, p STRING, n INT, lp STRING, rp STRING) WITH ('connector' = 'collect');
CREATE TABLE o2 (s STRING, d STRING, i INT, f STRING, re BOOLEAN) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO o SELECT s, p, n, LPAD(s, n, p), RPAD(s, n, p) FROM t;
INSERT INTO o2 SELECT s, d, i, SPLIT_INDEX(s, d, i), REGEXP(s, d) FROM u;
END;
