-- Window joins (Flink's example, plus a second right row of num 3 that
-- comes out of order): the rows of each window are joined when the
-- watermark passes its end; insert-only, NULL-padded for outer joins.
CREATE TABLE lt (row_time TIMESTAMP(3), num INT, id STRING, WATERMARK FOR row_time AS row_time - INTERVAL '1' MINUTE) WITH ('connector' = 'values');
CREATE TABLE rt (row_time TIMESTAMP(3), num INT, id STRING, WATERMARK FOR row_time AS row_time - INTERVAL '1' MINUTE) WITH ('connector' = 'values');
CREATE TABLE inner_out (l_num INT, l_id STRING, r_num INT, r_id STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE TABLE left_out (l_num INT, l_id STRING, r_num INT, r_id STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE TABLE right_out (l_num INT, l_id STRING, r_num INT, r_id STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE TABLE full_out (l_num INT, l_id STRING, r_num INT, r_id STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE TABLE cond_out (l_id STRING, r_id STRING) WITH ('connector' = 'collect');
CREATE VIEW l AS SELECT * FROM TABLE(TUMBLE(TABLE lt, DESCRIPTOR(row_time), INTERVAL '5' MINUTES));
CREATE VIEW r AS SELECT * FROM TABLE(TUMBLE(TABLE rt, DESCRIPTOR(row_time), INTERVAL '5' MINUTES));

EXECUTE STATEMENT SET BEGIN
INSERT INTO inner_out SELECT l.num, l.id, r.num, r.id, l.window_start, l.window_end
FROM l JOIN r ON l.num = r.num AND l.window_start = r.window_start AND l.window_end = r.window_end;
INSERT INTO left_out SELECT l.num, l.id, r.num, r.id, l.window_start, l.window_end
FROM l LEFT JOIN r ON l.num = r.num AND l.window_start = r.window_start AND l.window_end = r.window_end;
INSERT INTO right_out SELECT l.num, l.id, r.num, r.id, r.window_start, r.window_end
FROM l RIGHT JOIN r ON l.num = r.num AND l.window_start = r.window_start AND l.window_end = r.window_end;
INSERT INTO full_out SELECT l.num, l.id, r.num, r.id, COALESCE(l.window_start, r.window_start), COALESCE(l.window_end, r.window_end)
FROM l FULL JOIN r ON l.num = r.num AND l.window_start = r.window_start AND l.window_end = r.window_end;
-- A residual ON condition of an outer join pads instead of filtering.
INSERT INTO cond_out SELECT l.id, r.id
FROM l LEFT JOIN r ON l.window_start = r.window_start AND l.window_end = r.window_end AND l.num = r.num AND r.id <> 'R3'
WHERE l.num > 1;
END;
