-- A correlated scalar subquery selecting every column (SELECT *): refused at
-- plan time, as an uncorrelated one is (it must select one column), not
-- read as its first column.
CREATE TABLE bids (auction BIGINT, price INT) WITH ('connector' = 'values');
CREATE TABLE offers (item BIGINT, amount INT) WITH ('connector' = 'values');
CREATE TABLE o (auction BIGINT, amount BIGINT) WITH ('connector' = 'collect');
INSERT INTO o SELECT auction,
  (SELECT * FROM offers WHERE item = b.auction) FROM bids b;
