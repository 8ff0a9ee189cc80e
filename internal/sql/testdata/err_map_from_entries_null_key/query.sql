-- MAP_FROM_ENTRIES of an entry whose key is NULL is an error (Flink: "Map
-- key can not be null"), naming the entry.
CREATE TABLE t (e ARRAY<ROW<k STRING, v INT>>) WITH ('connector' = 'values');
CREATE TABLE o (m MAP<STRING, INT>) WITH ('connector' = 'collect');
INSERT INTO o SELECT MAP_FROM_ENTRIES(e) FROM t;
