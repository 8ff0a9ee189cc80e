CREATE TABLE t (a INT) WITH ('connector' = 'values', 'path' = '/etc/passwd');
