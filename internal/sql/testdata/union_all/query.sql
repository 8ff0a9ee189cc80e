CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE others (auction INT, bidder STRING, price INT) WITH ('connector' = 'values');
CREATE VIEW cheap AS SELECT auction, bidder, price FROM bids WHERE price < 10;
CREATE TABLE out (auction BIGINT, bidder STRING, price BIGINT, src STRING) WITH ('connector' = 'collect');
INSERT INTO out
SELECT auction, bidder, price, 'cheap' FROM cheap
UNION ALL
SELECT auction, bidder, price, 'others' FROM others WHERE bidder LIKE 'x%';
