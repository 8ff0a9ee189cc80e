CREATE TABLE bids (item STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (item STRING) WITH ('connector' = 'collect');
INSERT INTO out SELECT item FROM TABLE(SESSION(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' MINUTES));
