CREATE TABLE orders (id BIGINT, cur STRING, ts TIMESTAMP(3), p AS PROCTIME(),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE rates (code STRING, rate DOUBLE) WITH ('connector' = 'values');
CREATE TABLE vrates (code STRING, rate DOUBLE, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND,
    PRIMARY KEY (code) NOT ENFORCED) WITH ('connector' = 'values', 'changelog' = 'true');
EXPLAIN SELECT o.id, r.rate, v.rate
FROM orders AS o
JOIN rates FOR SYSTEM_TIME AS OF o.p AS r ON o.cur IS NOT DISTINCT FROM r.code
JOIN vrates FOR SYSTEM_TIME AS OF o.ts AS v ON v.code IS NOT DISTINCT FROM o.cur;
