-- Reading a partitioned filesystem table (the layout the sink writes:
-- tree/dt=<date>/hr=<int>/part-...): the partition columns come from the
-- directories, cast to the columns' types; __DEFAULT_PARTITION__ is NULL;
-- hidden in-progress files (.part-...) are not read. A WHERE on the
-- partition columns filters as on any column, and prunes the directories
-- it rejects (filesystem_partition_pruning).
CREATE TABLE fs (id BIGINT, name STRING, dt DATE, hr INT) PARTITIONED BY (dt, hr)
  WITH ('connector' = 'filesystem', 'path' = '$CASE_DIR/tree', 'format' = 'json');
CREATE TABLE all_rows (id BIGINT, name STRING, dt DATE, hr INT) WITH ('connector' = 'collect');
CREATE TABLE late (id BIGINT, dt DATE, hr INT) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO all_rows SELECT * FROM fs;
INSERT INTO late SELECT id, dt, hr FROM fs WHERE hr >= 10 AND dt IS NOT NULL;
END;
