-- A scalar subquery not known to give at most one row (GROUP BY) is
-- accepted and checked at run time, as Flink's SINGLE_VALUE: two auctions
-- give two rows, and the job fails naming the subquery's position.
CREATE TABLE bids (auction BIGINT, price INT) WITH ('connector' = 'values');
CREATE TABLE o (auction BIGINT, top INT) WITH ('connector' = 'collect');
INSERT INTO o SELECT auction, (SELECT MAX(price) FROM bids GROUP BY auction) FROM bids;
