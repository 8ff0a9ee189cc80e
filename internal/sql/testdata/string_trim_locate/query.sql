-- TRIM(BOTH|LEADING|TRAILING [chars] FROM s) removes any of the characters
-- of chars (default ' ') from both ends, the start or the end; NULL chars
-- or s give NULL. LOCATE(needle, s[, from]), INSTR(s, needle), REPEAT,
-- LEFT and RIGHT count code points (Flink's built-ins).
CREATE TABLE t (s STRING, c STRING) WITH ('connector' = 'values');
CREATE TABLE out1 (b STRING, l STRING, r STRING, bc STRING, lc STRING, rc STRING, dflt STRING) WITH ('connector' = 'collect');
CREATE TABLE out2 (loc INT, loc3 INT, ins INT, rep STRING, lft STRING, rgt STRING) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO out1 SELECT TRIM(BOTH FROM s), TRIM(LEADING FROM s), TRIM(TRAILING FROM s),
  TRIM(BOTH c FROM s), TRIM(LEADING c FROM s), TRIM(TRAILING 'x' FROM s), TRIM(s) FROM t;
INSERT INTO out2 SELECT LOCATE('l', s), LOCATE('l', s, 6), INSTR(s, 'o'), REPEAT(LEFT(s, 2), 2), LEFT(s, 4), RIGHT(s, 4) FROM t;
END;
