-- Mini-batch (Flink's table.exec.mini-batch.*): two cascaded group
-- aggregations as Nexmark q4 (the highest price per auction, then the
-- average of those per category) over a changelog with updates and
-- retractions, in bundles of 3 rows. Each bundle folds a key's rows at
-- once and emits one change per key whose result changed; the final
-- result is the per-row one (TestMiniBatchGoldenSameFinalResult runs the
-- case without the SETs and compares). NULL auctions and categories are
-- keys like any other.
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '1 h';
SET 'table.exec.mini-batch.size' = '3';
CREATE TABLE bids (auction BIGINT, category BIGINT, price BIGINT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE out (category BIGINT, avg_price BIGINT, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO out
SELECT category, AVG(final), COUNT(*) FROM (
  SELECT auction, category, MAX(price) AS final FROM bids GROUP BY auction, category
) GROUP BY category;
