CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE others (auction INT, bidder STRING, price INT) WITH ('connector' = 'values');
EXPLAIN
SELECT bidder, COUNT(*) AS n, SUM(price) AS total FROM (
  SELECT bidder, price FROM bids
  UNION ALL
  SELECT bidder, price FROM others
) GROUP BY bidder HAVING SUM(price) > 10;
SHOW TABLES;
DESCRIBE bids;
