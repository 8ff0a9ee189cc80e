-- Mini-batch on with Flink's default size (-1): Flink refuses it too.
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '2 s';
SET 'table.exec.mini-batch.size' = '-1';
CREATE TABLE ev (k STRING, v BIGINT) WITH ('connector' = 'values');
CREATE TABLE out (k STRING, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, COUNT(*) FROM ev GROUP BY k;
