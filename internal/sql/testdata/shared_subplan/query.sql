-- Equal subtrees are translated once (sub-plan reuse): both branches read
-- the one stream of the view, so neither may write into its rows (the
-- first branch alone would be computed in place).
CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE VIEW cheap AS SELECT auction, bidder, price * 2 AS p2 FROM bids WHERE price < 10;
CREATE TABLE out (a BIGINT, b STRING, c BIGINT) WITH ('connector' = 'collect');
INSERT INTO out
SELECT auction * 10, bidder, p2 FROM cheap
UNION ALL
SELECT auction, UPPER(bidder), p2 + 1 FROM cheap;
