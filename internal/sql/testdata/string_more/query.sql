-- ASCII (the first UTF-8 byte, signed), CHR (the low byte's character),
-- STARTSWITH, ENDSWITH, TRANSLATE, OVERLAY(s PLACING r FROM pos [FOR n])
-- and INSTR(s, needle, from[, nth]) (Flink's built-ins).
CREATE TABLE t (s STRING, n INT) WITH ('connector' = 'values');
CREATE TABLE out (a INT, c STRING, sw BOOLEAN, ew BOOLEAN, tr STRING, ov STRING, ov0 STRING, i3 INT, i4 INT) WITH ('connector' = 'collect');
INSERT INTO out SELECT ASCII(s), CHR(n), STARTSWITH(s, 'This'), ENDSWITH(s, 'llo'),
  TRANSLATE(s, 'ls', 'L'), OVERLAY(s PLACING ' new' FROM n FOR 5), OVERLAY(s PLACING 'X' FROM 2 FOR 0),
  INSTR(s, 'l', -1), INSTR(s, 'i', 1, 2) FROM t;
