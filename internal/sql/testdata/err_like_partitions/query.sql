-- Both tables partitioned.
CREATE TABLE logs (dt STRING, hr STRING, msg STRING) PARTITIONED BY (dt) WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'json');
CREATE TABLE t2 PARTITIONED BY (hr) LIKE logs;
