-- A scalar subquery of rows (not an aggregation) inside an aggregate call:
-- accepted and checked at run time; rates has two rows, so the job fails.
CREATE TABLE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'values');
CREATE TABLE rates (rate BIGINT) WITH ('connector' = 'values');
CREATE TABLE o (auction BIGINT, total BIGINT) WITH ('connector' = 'collect');
INSERT INTO o SELECT auction, SUM(price * (SELECT rate FROM rates)) FROM bids GROUP BY auction;
