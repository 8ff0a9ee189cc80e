-- Mini-batch on without an allowed latency: Flink refuses it too.
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.size' = '5000';
CREATE TABLE ev (k STRING, v BIGINT) WITH ('connector' = 'values');
CREATE TABLE out (k STRING, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, COUNT(*) FROM ev GROUP BY k;
