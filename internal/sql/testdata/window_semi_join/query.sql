-- Window semi and anti joins (Flink's IN / EXISTS examples): the left rows
-- with (without) a right row of the same num in the same window, emitted
-- when the window ends.
CREATE TABLE lt (row_time TIMESTAMP(3), num INT NOT NULL, id STRING, WATERMARK FOR row_time AS row_time - INTERVAL '1' MINUTE) WITH ('connector' = 'values');
CREATE TABLE rt (row_time TIMESTAMP(3), num INT NOT NULL, id STRING, WATERMARK FOR row_time AS row_time - INTERVAL '1' MINUTE) WITH ('connector' = 'values');
CREATE TABLE semi_in (num INT, id STRING, window_start TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE TABLE semi_exists (num INT, id STRING, window_start TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE TABLE anti_in (num INT, id STRING, window_start TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE TABLE anti_exists (num INT, id STRING, window_start TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE VIEW l AS SELECT * FROM TABLE(TUMBLE(TABLE lt, DESCRIPTOR(row_time), INTERVAL '5' MINUTES));
CREATE VIEW r AS SELECT * FROM TABLE(TUMBLE(TABLE rt, DESCRIPTOR(row_time), INTERVAL '5' MINUTES));

EXECUTE STATEMENT SET BEGIN
INSERT INTO semi_in SELECT num, id, window_start FROM l
WHERE l.num IN (SELECT num FROM r WHERE l.window_start = r.window_start AND l.window_end = r.window_end);
INSERT INTO semi_exists SELECT num, id, window_start FROM l
WHERE EXISTS (SELECT * FROM r WHERE l.num = r.num AND l.window_start = r.window_start AND l.window_end = r.window_end AND r.id <> 'R3b');
INSERT INTO anti_in SELECT num, id, window_start FROM l
WHERE l.num NOT IN (SELECT num FROM r WHERE l.window_start = r.window_start AND l.window_end = r.window_end);
INSERT INTO anti_exists SELECT num, id, window_start FROM l
WHERE NOT EXISTS (SELECT * FROM r WHERE l.num = r.num AND l.window_start = r.window_start AND l.window_end = r.window_end) AND id <> 'L1';
END;
EXPLAIN SELECT num, id FROM l
WHERE EXISTS (SELECT * FROM r WHERE l.num = r.num AND l.window_start = r.window_start AND l.window_end = r.window_end AND r.id <> 'x');
