CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT) WITH ('connector' = 'values');
CREATE TABLE out (bidder STRING, n BIGINT) WITH ('connector' = 'collect', 'append-only' = 'true');

INSERT INTO out SELECT bidder, COUNT(*) FROM bids GROUP BY bidder;
