-- A correlated scalar subquery of rows: its rows grouped by the correlated
-- column under SINGLE_VALUE; item 1 has two offers, so the job fails at
-- the second, naming the subquery's position.
CREATE TABLE bids (auction BIGINT, price INT) WITH ('connector' = 'values');
CREATE TABLE offers (item BIGINT, amount INT) WITH ('connector' = 'values');
CREATE TABLE o (auction BIGINT, amount INT) WITH ('connector' = 'collect');
INSERT INTO o SELECT auction,
  (SELECT amount FROM offers WHERE item = b.auction) FROM bids b;
