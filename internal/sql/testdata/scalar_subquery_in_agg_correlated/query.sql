-- A correlated scalar subquery inside an aggregate call: decorrelated (the
-- rates grouped by auction) and LEFT joined to each bid on its auction
-- before the aggregation. Auction 1's bids are 10 and 5 at its rate 3
-- (MAX of 2 and 3): 45; auction 2 has no rate, so its bid times NULL is
-- NULL and SUM over NULL is NULL; auction 3's bid 4 at rate 1: 4. Final
-- rows compared (two sources: the order of the changes is not defined).
CREATE TABLE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'values');
CREATE TABLE rates (auction BIGINT, rate BIGINT) WITH ('connector' = 'values');
CREATE TABLE o (auction BIGINT, total BIGINT, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO o SELECT auction, SUM(price * (SELECT MAX(rate) FROM rates WHERE rates.auction = bids.auction)), COUNT(*)
FROM bids GROUP BY auction;
