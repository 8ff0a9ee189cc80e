CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE out (p BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT pricee FROM bids;
