-- A partition directory whose value does not parse as the column's type:
-- the error names the directory and the column.
CREATE TABLE fs (id BIGINT, dt DATE, hr INT) PARTITIONED BY (dt, hr)
  WITH ('connector' = 'filesystem', 'path' = '$CASE_DIR/tree', 'format' = 'json');
CREATE TABLE out (id BIGINT, dt DATE, hr INT) WITH ('connector' = 'collect');
INSERT INTO out SELECT * FROM fs;
