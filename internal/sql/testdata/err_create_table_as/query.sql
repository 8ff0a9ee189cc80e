CREATE TABLE bids (auction BIGINT, price INT) WITH ('connector' = 'values');
CREATE TABLE totals WITH ('connector' = 'collect', 'append-only' = 'true') AS
SELECT auction, SUM(price) AS total FROM bids GROUP BY auction;
