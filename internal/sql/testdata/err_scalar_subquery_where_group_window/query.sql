-- The same for a scalar subquery in the WHERE of a group window
-- aggregation (joined to the rows before it, as well).
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE rates (rate BIGINT) WITH ('connector' = 'values');
CREATE TABLE o (ws TIMESTAMP(3), total BIGINT) WITH ('connector' = 'collect');
INSERT INTO o SELECT TUMBLE_START(ts, INTERVAL '10' SECOND), SUM(price)
FROM bids WHERE price > (SELECT MAX(rate) FROM rates) GROUP BY TUMBLE(ts, INTERVAL '10' SECOND);
