-- WITH (with a column list) and SELECT DISTINCT.
CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT, ts TIMESTAMP(3)) WITH ('connector' = 'values');
CREATE TABLE out (bidder STRING, auction BIGINT) WITH ('connector' = 'collect');

INSERT INTO out
WITH big (who, what, amount) AS (SELECT bidder, auction, price FROM bids WHERE price >= 9)
SELECT DISTINCT who, what FROM big;
