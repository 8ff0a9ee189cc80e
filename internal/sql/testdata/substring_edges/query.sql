-- SUBSTRING edge cases (Flink's BinaryStringDataUtil.substringSQL): a
-- negative length gives NULL; a negative start before the first character
-- gives ''; start 0 is the first character; an empty string stays ''.
CREATE TABLE t (s STRING, p INT, n INT) WITH ('connector' = 'values');
CREATE TABLE o (s STRING, p INT, n INT, from_p STRING, from_p_for_n STRING) WITH ('connector' = 'collect');
INSERT INTO o SELECT s, p, n, SUBSTRING(s FROM p), SUBSTRING(s FROM p FOR n) FROM t;
