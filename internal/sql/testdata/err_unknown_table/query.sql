CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
INSERT INTO bids SELECT * FROM bidz;
