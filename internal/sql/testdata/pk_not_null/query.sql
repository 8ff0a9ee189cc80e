-- PRIMARY KEY columns are NOT NULL, as in Flink: DESCRIBE shows it, and
-- NOT IN over them in a window anti join is the plain anti join, which a
-- nullable column refuses (err_not_in_nullable).
CREATE TABLE lt (row_time TIMESTAMP(3), num INT, PRIMARY KEY (num) NOT ENFORCED,
    WATERMARK FOR row_time AS row_time) WITH ('connector' = 'values');
CREATE TABLE rt (row_time TIMESTAMP(3), num INT NOT NULL,
    WATERMARK FOR row_time AS row_time) WITH ('connector' = 'values');
CREATE TABLE out (num INT, ws TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE VIEW l AS SELECT * FROM TABLE(TUMBLE(TABLE lt, DESCRIPTOR(row_time), INTERVAL '5' MINUTES));
CREATE VIEW r AS SELECT * FROM TABLE(TUMBLE(TABLE rt, DESCRIPTOR(row_time), INTERVAL '5' MINUTES));
DESCRIBE lt;
INSERT INTO out SELECT num, window_start FROM l
WHERE l.num NOT IN (SELECT num FROM r WHERE l.window_start = r.window_start AND l.window_end = r.window_end);
