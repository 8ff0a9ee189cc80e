CREATE TABLE lt (row_time TIMESTAMP(3), num INT, WATERMARK FOR row_time AS row_time) WITH ('connector' = 'values');
CREATE TABLE rt (row_time TIMESTAMP(3), num INT, WATERMARK FOR row_time AS row_time) WITH ('connector' = 'values');
CREATE TABLE out (num INT) WITH ('connector' = 'collect');
INSERT INTO out SELECT l.num
FROM (SELECT * FROM TABLE(TUMBLE(TABLE lt, DESCRIPTOR(row_time), INTERVAL '10' MINUTES))) l
JOIN (SELECT * FROM TABLE(HOP(TABLE rt, DESCRIPTOR(row_time), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES))) r
ON l.num = r.num AND l.window_start = r.window_start AND l.window_end = r.window_end;
