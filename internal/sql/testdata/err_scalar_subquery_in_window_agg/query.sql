CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE rates (rate BIGINT) WITH ('connector' = 'values');
CREATE TABLE o (window_start TIMESTAMP(3), total BIGINT) WITH ('connector' = 'collect');
INSERT INTO o SELECT window_start, SUM(price * (SELECT MAX(rate) FROM rates))
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
