-- Mini-batch: a key whose count goes to 0 within one bundle. "a" is
-- inserted and retracted in the same bundle (nothing is emitted for it),
-- "c" loses its last row and gets a new one in the same bundle (-U/+U:
-- the per-row operator's -D/+I coalesced), "b" had a result before its
-- bundle and loses its last row in it (-D), the NULL key is counted like
-- any other, a retraction of a key without state ("zz") is dropped.
-- Bundles of 4 rows.
SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '1 h';
SET 'table.exec.mini-batch.size' = '4';
CREATE TABLE ev (k STRING, v BIGINT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE out (k STRING, n BIGINT, total BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT k, COUNT(*), SUM(v) FROM ev GROUP BY k;
