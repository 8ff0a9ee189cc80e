-- A window table function in an IN / EXISTS subquery that is not a window
-- join (not correlated on window_start and window_end): its rows with
-- their windows, then a regular semi join.
CREATE TABLE lt (num INT NOT NULL, id STRING) WITH ('connector' = 'values');
CREATE TABLE rt (row_time TIMESTAMP(3), num INT NOT NULL, WATERMARK FOR row_time AS row_time) WITH ('connector' = 'values');
CREATE TABLE out (num INT, id STRING) WITH ('connector' = 'collect');
INSERT INTO out SELECT num, id FROM lt
WHERE EXISTS (SELECT * FROM TABLE(TUMBLE(TABLE rt, DESCRIPTOR(row_time), INTERVAL '5' MINUTES)) w
              WHERE w.num = lt.num AND w.window_start >= TIMESTAMP '2024-01-01 00:05:00');
