-- A bad mini-batch option fails a deduplication as it fails a GROUP BY.
CREATE TABLE bids (auction BIGINT, bidder STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '2 s';
SET 'table.exec.mini-batch.size' = '0';
EXPLAIN SELECT auction, bidder FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY ts DESC) AS rn FROM bids
) WHERE rn = 1;
