-- A correlated scalar subquery reading an outer column in its select list
-- (not only in its WHERE equalities): a plan-time error that says so, not
-- "unknown column".
CREATE TABLE bids (auction BIGINT, price INT) WITH ('connector' = 'values');
CREATE TABLE offers (item BIGINT, amount INT) WITH ('connector' = 'values');
CREATE TABLE o (auction BIGINT, amount INT) WITH ('connector' = 'collect');
INSERT INTO o SELECT auction,
  (SELECT MAX(amount) + b.price FROM offers WHERE item = b.auction) FROM bids b;
