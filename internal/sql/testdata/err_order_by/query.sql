-- Sorting a stream on anything but its event time needs LIMIT.
CREATE TABLE t (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
SELECT k, v FROM t ORDER BY v;
