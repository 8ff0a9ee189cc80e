-- Deduplication on a processing-time attribute (Flink's canonical form):
-- ORDER BY proctime ASC keeps the first row of each key, DESC the last
-- (a new row replaces the rows it ties with in the same millisecond).
CREATE TABLE t (k STRING, v INT, p AS PROCTIME()) WITH ('connector' = 'values');
CREATE TABLE firsts (k STRING, v INT) WITH ('connector' = 'collect');
CREATE TABLE lasts (k STRING, v INT) WITH ('connector' = 'collect');
INSERT INTO firsts SELECT k, v FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY p ASC) AS rn FROM t) WHERE rn = 1;
INSERT INTO lasts SELECT k, v FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY p DESC) AS rn FROM t) WHERE rn = 1;
