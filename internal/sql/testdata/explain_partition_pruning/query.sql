-- EXPLAIN of partition pruning: the scan of a partitioned filesystem table
-- shows partitionFilter=[...], the conjuncts of the filters above it that
-- read only partition columns (the Calc still filters the rows). Not
-- pruning: a conjunct that reads a data column (alone or under OR), a
-- volatile call (CURRENT_TIMESTAMP), a table that is not partitioned. A
-- filter above a join prunes the scan below it: its conjunct over one input
-- is pushed into that input (and kept above the join, pushdown.go).
CREATE TABLE fs (id BIGINT, ts TIMESTAMP(3), dt STRING, hr INT) PARTITIONED BY (dt, hr)
  WITH ('connector' = 'filesystem', 'path' = '$CASE_DIR/tree', 'format' = 'json');
CREATE TABLE flat (id BIGINT, dt STRING) WITH ('connector' = 'filesystem', 'path' = '$CASE_DIR/flat', 'format' = 'json');
CREATE VIEW today AS SELECT id, dt, hr FROM fs WHERE dt = '2024-01-01';
EXPLAIN SELECT id FROM fs WHERE dt IN ('2024-01-01', '2024-01-02') AND NOT (hr BETWEEN 3 AND 5) AND id > 7;
EXPLAIN SELECT id FROM fs WHERE dt = '2024-01-01' OR id = 6;
EXPLAIN SELECT id FROM fs WHERE hr IS NULL AND CAST(dt AS DATE) > CURRENT_DATE;
EXPLAIN SELECT id, hr * 2 AS h2 FROM today WHERE hr < 12;
EXPLAIN SELECT id FROM flat WHERE dt = '2024-01-01';
EXPLAIN SELECT a.id FROM fs a JOIN flat b ON a.id = b.id WHERE a.hr = 1;
