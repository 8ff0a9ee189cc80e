CREATE TABLE lt (row_time TIMESTAMP(3), num INT, WATERMARK FOR row_time AS row_time) WITH ('connector' = 'values');
CREATE TABLE rt (row_time TIMESTAMP(3), num INT, WATERMARK FOR row_time AS row_time) WITH ('connector' = 'values');
CREATE TABLE out (num INT) WITH ('connector' = 'collect');
CREATE VIEW l AS SELECT * FROM TABLE(TUMBLE(TABLE lt, DESCRIPTOR(row_time), INTERVAL '5' MINUTES));
CREATE VIEW r AS SELECT * FROM TABLE(TUMBLE(TABLE rt, DESCRIPTOR(row_time), INTERVAL '5' MINUTES));
INSERT INTO out SELECT num FROM l
WHERE l.num NOT IN (SELECT num FROM r WHERE l.window_start = r.window_start AND l.window_end = r.window_end);
