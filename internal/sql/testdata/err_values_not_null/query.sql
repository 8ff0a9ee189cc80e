-- The test connector 'values' refuses a NULL (or missing) value in a NOT
-- NULL column (declared NOT NULL here; a PRIMARY KEY column: err_values_not_null_pk),
-- naming the table, the file and the line, as the row formats do.
CREATE TABLE t (k BIGINT NOT NULL, v STRING) WITH ('connector' = 'values');
CREATE TABLE o (k BIGINT, v STRING) WITH ('connector' = 'collect');
INSERT INTO o SELECT k, v FROM t;
