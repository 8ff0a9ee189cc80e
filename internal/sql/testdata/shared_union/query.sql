-- UNION ALL of one view twice: the view is translated once and its rows
-- reach the union twice, so the Calc above the union must not write into
-- them (the second copy would see the first one's output).
CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE VIEW cheap AS SELECT auction, bidder, price * 2 AS p2 FROM bids WHERE price < 10;
CREATE TABLE out (a BIGINT, b STRING, c BIGINT) WITH ('connector' = 'collect');
INSERT INTO out
SELECT auction * 10, bidder, p2 FROM (SELECT * FROM cheap UNION ALL SELECT * FROM cheap) AS u;
