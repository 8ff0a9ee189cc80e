-- Deduplicate (Flink's rule: ROW_NUMBER ordered by one time attribute,
-- rank 1, the row number not read above) against the Rank it is not.
CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT, ts TIMESTAMP(3), p AS PROCTIME(), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
-- Keep the last row by event time; another conjunct of the WHERE stays.
EXPLAIN SELECT auction, bidder, price FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY ts DESC) AS rn FROM bids
) WHERE rn = 1 AND price > 10;
-- Keep the first by event time, the partition an expression, rn < 2.
EXPLAIN SELECT bidder, price FROM (
  SELECT bidder, price, ROW_NUMBER() OVER (PARTITION BY UPPER(bidder) ORDER BY ts) AS rn FROM bids
) WHERE rn < 2;
-- By processing time: keep-first is insert-only, keep-last updating.
EXPLAIN SELECT bidder, price FROM (
  SELECT bidder, price, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY p) AS rn FROM bids
) WHERE rn = 1;
EXPLAIN SELECT bidder, price FROM (
  SELECT bidder, price, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY p DESC) AS rn FROM bids
) WHERE rn <= 1;
-- Rank: the row number selected, a rank range above 1, a second ORDER BY
-- key, a column that is not a time attribute, RANK().
EXPLAIN SELECT bidder, price, rn FROM (
  SELECT bidder, price, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY ts DESC) AS rn FROM bids
) WHERE rn = 1;
EXPLAIN SELECT bidder, price FROM (
  SELECT bidder, price, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY ts DESC) AS rn FROM bids
) WHERE rn <= 2;
EXPLAIN SELECT bidder, price FROM (
  SELECT bidder, price, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY ts DESC, price) AS rn FROM bids
) WHERE rn = 1;
EXPLAIN SELECT bidder, price FROM (
  SELECT bidder, price, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY price DESC) AS rn FROM bids
) WHERE rn = 1;
EXPLAIN SELECT bidder, price FROM (
  SELECT bidder, price, RANK() OVER (PARTITION BY bidder ORDER BY ts DESC) AS rn FROM bids
) WHERE rn = 1;
-- Over an updating input: the Rank (Flink's Deduplicate takes inserts).
EXPLAIN SELECT bidder, n FROM (
  SELECT bidder, n, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY ts DESC) AS rn FROM (
    SELECT bidder, COUNT(*) AS n, MAX(ts) AS ts FROM bids GROUP BY bidder)
) WHERE rn = 1;
-- With mini-batch.
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '2 s';
SET 'table.exec.mini-batch.size' = '5000';
EXPLAIN SELECT auction, bidder, price FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY ts DESC) AS rn FROM bids
) WHERE rn = 1;
