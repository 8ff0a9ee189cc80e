CREATE TABLE bids (auction BIGINT, price INT) WITH ('connector' = 'values');
CREATE TABLE o (auction BIGINT, top INT) WITH ('connector' = 'collect');
INSERT INTO o SELECT auction, (SELECT MAX(price) FROM bids GROUP BY auction) FROM bids;
