-- Event-time temporal join against a versioned table (PRIMARY KEY and
-- WATERMARK; a changelog source): each order joins the rate of its
-- currency valid at the order's time; -D ends a version; LEFT pads.
CREATE TABLE orders (id BIGINT, cur STRING, amount INT, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE rates (code STRING, rate DOUBLE, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND,
    PRIMARY KEY (code) NOT ENFORCED) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE inner_out (id BIGINT, code STRING, rate DOUBLE, total DOUBLE, ts TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE TABLE left_out (id BIGINT, rate DOUBLE) WITH ('connector' = 'collect');

INSERT INTO inner_out
SELECT o.id, r.code, r.rate, o.amount * r.rate, o.ts
FROM orders AS o
JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON UPPER(o.cur) = r.code;

INSERT INTO left_out
SELECT o.id, r.rate
FROM orders AS o
LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.code AND r.rate > 1.0;
