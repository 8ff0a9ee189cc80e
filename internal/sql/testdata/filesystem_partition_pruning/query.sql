-- Partition pruning: the conjuncts of WHERE that read only partition
-- columns (equality, IN, ranges, AND/OR/NOT of them, after the directory
-- value is cast to the column's type) skip the partition directories they
-- reject: their files are never opened. tree/dt=2023-12-31/hr=23 holds a
-- corrupt file, which every query here prunes (reading it fails the job:
-- err_filesystem_partition_corrupt). NULL partitions (__DEFAULT_PARTITION__)
-- follow SQL's three-valued logic: `dt >= x` or `NOT (dt < x)` never keeps
-- them, `dt IS NULL` does (tree_nulls: its NULL partition's file is
-- corrupt, and `dt = x` or `dt <> x` never opens it). A conjunct that also reads a data column (id)
-- does not prune but still filters the rows; pruning is only an
-- optimisation (TestFilesystemPartitionPruningSameRows: the same rows
-- without it). A view's filter and the query's over it prune together.
-- Under a join (filter push-down, pushdown.go): b.dt = DATE '2024-01-01'
-- prunes fs_nulls and, over the join key dt, fs too (with a.hr IS NOT
-- NULL), so neither corrupt file is opened.
-- EXPLAIN shows partitionFilter=[...] on the scan.
CREATE TABLE fs (id BIGINT, name STRING, dt DATE, hr INT) PARTITIONED BY (dt, hr)
  WITH ('connector' = 'filesystem', 'path' = '$CASE_DIR/tree', 'format' = 'json');
CREATE TABLE fs_nulls (id BIGINT, dt DATE) PARTITIONED BY (dt)
  WITH ('connector' = 'filesystem', 'path' = '$CASE_DIR/tree_nulls', 'format' = 'json');
CREATE VIEW recent AS SELECT id, dt, hr FROM fs WHERE dt > DATE '2024-01-01';
CREATE TABLE eq (id BIGINT, dt DATE, hr INT) WITH ('connector' = 'collect');
CREATE TABLE in_or (id BIGINT, dt DATE, hr INT) WITH ('connector' = 'collect');
CREATE TABLE range_ (id BIGINT, dt DATE, hr INT) WITH ('connector' = 'collect');
CREATE TABLE not_null (id BIGINT, dt DATE, hr INT) WITH ('connector' = 'collect');
CREATE TABLE is_null (id BIGINT, dt DATE, hr INT) WITH ('connector' = 'collect');
CREATE TABLE mixed (id BIGINT, dt DATE, hr INT) WITH ('connector' = 'collect');
CREATE TABLE cast_ (id BIGINT, dt DATE, hr INT) WITH ('connector' = 'collect');
CREATE TABLE viewed (id BIGINT, dt DATE, hr INT) WITH ('connector' = 'collect');
CREATE TABLE null_eq (id BIGINT, dt DATE) WITH ('connector' = 'collect');
CREATE TABLE null_ne (id BIGINT, dt DATE) WITH ('connector' = 'collect');
CREATE TABLE joined (id BIGINT, id2 BIGINT, dt DATE, hr INT) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO eq SELECT id, dt, hr FROM fs WHERE dt = DATE '2024-01-01';
INSERT INTO in_or SELECT id, dt, hr FROM fs WHERE dt IN (DATE '2024-01-02', DATE '2024-01-05') OR hr BETWEEN 9 AND 9;
INSERT INTO range_ SELECT id, dt, hr FROM fs WHERE dt >= DATE '2024-01-01' AND dt < DATE '2024-02-01';
INSERT INTO not_null SELECT id, dt, hr FROM fs WHERE NOT (dt < DATE '2024-01-02') AND hr IS NULL;
INSERT INTO is_null SELECT id, dt, hr FROM fs WHERE dt IS NULL;
INSERT INTO mixed SELECT id, dt, hr FROM fs WHERE id > 1 AND hr <= 10 AND (id < 4 OR hr IS NULL);
INSERT INTO cast_ SELECT id, dt, hr FROM fs WHERE CAST(hr AS STRING) = '10';
INSERT INTO viewed SELECT id, dt, hr FROM recent WHERE hr IS NOT NULL;
INSERT INTO null_eq SELECT * FROM fs_nulls WHERE dt = DATE '2024-01-01';
INSERT INTO null_ne SELECT * FROM fs_nulls WHERE dt <> DATE '2024-01-09';
INSERT INTO joined SELECT a.id, b.id, a.dt, a.hr FROM fs a JOIN fs_nulls b ON a.dt = b.dt WHERE b.dt = DATE '2024-01-01' AND a.hr IS NOT NULL;
END;
EXPLAIN SELECT id FROM fs WHERE dt = DATE '2024-01-01';
EXPLAIN SELECT id FROM fs WHERE id > 1 AND hr <= 10 AND (id < 4 OR hr IS NULL);
EXPLAIN SELECT * FROM recent WHERE hr IS NOT NULL;
EXPLAIN SELECT a.id, b.id FROM fs a JOIN fs_nulls b ON a.dt = b.dt WHERE b.dt = DATE '2024-01-01' AND a.hr IS NOT NULL;
