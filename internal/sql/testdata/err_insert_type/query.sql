CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE out (p BIGINT, w BOOLEAN) WITH ('connector' = 'collect');
INSERT INTO out SELECT price, bidder FROM bids;
