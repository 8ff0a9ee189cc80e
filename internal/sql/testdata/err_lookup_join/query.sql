-- A lookup join needs an equality (= or IS NOT DISTINCT FROM) between a column of the table and the left input.
CREATE TABLE orders (id BIGINT, cur STRING, p AS PROCTIME()) WITH ('connector' = 'values');
CREATE TABLE rates (code STRING, rate DOUBLE) WITH ('connector' = 'values');
SELECT o.id, r.rate FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.p AS r ON r.rate > 1;
