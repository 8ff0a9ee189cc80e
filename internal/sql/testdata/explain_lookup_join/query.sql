CREATE TABLE orders (id BIGINT, cur STRING, amount INT, p AS PROCTIME()) WITH ('connector' = 'values');
CREATE TABLE rates (code STRING, rate DOUBLE, active BOOLEAN) WITH ('connector' = 'values');
EXPLAIN SELECT o.id, r.rate
FROM orders AS o
LEFT JOIN rates FOR SYSTEM_TIME AS OF o.p AS r ON o.cur = r.code AND r.active;
