-- The LIKE table's watermark is on a computed column that EXCLUDING
-- GENERATED leaves out.
CREATE TABLE events (id BIGINT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE t2 LIKE events (EXCLUDING GENERATED);
