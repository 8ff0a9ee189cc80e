-- A temporal join against a versioned view: the last rate per currency by
-- event time (a deduplication) is versioned by currency and rate_time.
CREATE TABLE orders (id BIGINT, cur STRING, amount INT, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE rate_log (code STRING, rate DOUBLE, rate_time TIMESTAMP(3),
    WATERMARK FOR rate_time AS rate_time - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE VIEW rates AS
SELECT code, rate, rate_time FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY code ORDER BY rate_time DESC) AS rownum
    FROM rate_log)
WHERE rownum = 1;
CREATE TABLE out (id BIGINT, code STRING, total DOUBLE) WITH ('connector' = 'collect');

INSERT INTO out
SELECT o.id, r.code, o.amount * r.rate
FROM orders AS o
JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.code;
EXPLAIN SELECT o.id, r.code, o.amount * r.rate
FROM orders AS o
JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.code;
