-- Lookup joins (FOR SYSTEM_TIME AS OF a processing-time attribute) against
-- a bounded table read into memory: the key is an expression of the left
-- row cast to the table column's type; INNER and LEFT, with a residual ON
-- condition and a WHERE after the join.
CREATE TABLE orders (id BIGINT, cur STRING, amount INT, p AS PROCTIME()) WITH ('connector' = 'values');
CREATE TABLE rates (code STRING, rate DOUBLE, active BOOLEAN) WITH ('connector' = 'values');
CREATE TABLE inner_out (id BIGINT, code STRING, total DOUBLE) WITH ('connector' = 'collect');
CREATE TABLE left_out (id BIGINT, code STRING, rate DOUBLE) WITH ('connector' = 'collect');

INSERT INTO inner_out
SELECT o.id, r.code, o.amount * r.rate
FROM orders AS o
JOIN rates FOR SYSTEM_TIME AS OF o.p AS r ON UPPER(o.cur) = r.code
WHERE o.amount > 1;

INSERT INTO left_out
SELECT o.id, r.code, r.rate
FROM orders AS o
LEFT JOIN rates FOR SYSTEM_TIME AS OF o.p AS r ON o.cur = r.code AND r.active;
