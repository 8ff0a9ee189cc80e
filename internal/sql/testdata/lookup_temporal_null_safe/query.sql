-- IS NOT DISTINCT FROM as the key of a lookup join and of an event-time
-- temporal join: a NULL key matches the table's NULL key (its version
-- valid at the left row's time), where = matches nothing (LEFT pads).
CREATE TABLE orders (id BIGINT, cur STRING, ts TIMESTAMP(3), p AS PROCTIME(),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE rates (code STRING, rate DOUBLE) WITH ('connector' = 'values');
-- The versioned table is a versioned view (the last row per code by event
-- time), not a table with a PRIMARY KEY: a PRIMARY KEY column is NOT NULL
-- (the values connector refuses a NULL in it), and this case needs a NULL
-- code.
CREATE TABLE rates_log (code STRING, rate DOUBLE, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE VIEW vrates AS SELECT code, rate, ts FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY code ORDER BY ts DESC) AS rn FROM rates_log)
  WHERE rn = 1;
CREATE TABLE lookup_ns (id BIGINT, rate DOUBLE) WITH ('connector' = 'collect');
CREATE TABLE lookup_eq (id BIGINT, rate DOUBLE) WITH ('connector' = 'collect');
CREATE TABLE temporal_ns (id BIGINT, rate DOUBLE) WITH ('connector' = 'collect');
CREATE TABLE temporal_eq (id BIGINT, rate DOUBLE) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO lookup_ns SELECT o.id, r.rate FROM orders AS o
  JOIN rates FOR SYSTEM_TIME AS OF o.p AS r ON o.cur IS NOT DISTINCT FROM r.code;
INSERT INTO lookup_eq SELECT o.id, r.rate FROM orders AS o
  LEFT JOIN rates FOR SYSTEM_TIME AS OF o.p AS r ON o.cur = r.code;
INSERT INTO temporal_ns SELECT o.id, r.rate FROM orders AS o
  JOIN vrates FOR SYSTEM_TIME AS OF o.ts AS r ON r.code IS NOT DISTINCT FROM o.cur;
INSERT INTO temporal_eq SELECT o.id, r.rate FROM orders AS o
  LEFT JOIN vrates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.code;
END;
