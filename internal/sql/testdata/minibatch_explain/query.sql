-- EXPLAIN of a mini-batched group aggregation: Flink's MiniBatchAssigner
-- line under each GroupAggregate (the bundles are the aggregation's).
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '2 s';
SET 'table.exec.mini-batch.size' = '50000';
CREATE TABLE ev (k STRING, v BIGINT) WITH ('connector' = 'values');
CREATE TABLE out (k STRING, n BIGINT) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO out SELECT k, COUNT(*) FROM ev GROUP BY k;
