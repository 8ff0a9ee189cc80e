-- The LIKE table's options are copied (OVERWRITING OPTIONS) into a
-- table of another connector that does not have them.
CREATE TABLE logs (dt STRING, msg STRING) WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'json');
CREATE TABLE t2 WITH ('connector' = 'collect') LIKE logs;
