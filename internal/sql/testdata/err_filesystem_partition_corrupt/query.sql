-- A corrupt file in a partition that is not pruned (as in
-- filesystem_partition_pruning, whose queries all prune it): a conjunct
-- that reads a data column too (id, under OR) does not prune, so the file
-- of dt=2023-12-31 is opened and the job fails.
CREATE TABLE fs (id BIGINT, name STRING, dt DATE, hr INT) PARTITIONED BY (dt, hr)
  WITH ('connector' = 'filesystem', 'path' = '$CASE_DIR/tree', 'format' = 'json');
CREATE TABLE o (id BIGINT, dt DATE, hr INT) WITH ('connector' = 'collect');
INSERT INTO o SELECT id, dt, hr FROM fs WHERE dt = DATE '2024-01-01' OR id = 6;
