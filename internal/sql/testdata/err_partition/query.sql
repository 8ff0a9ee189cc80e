-- PARTITIONED BY must name physical columns of the table.
CREATE TABLE t (a INT, b AS a + 1) PARTITIONED BY (b) WITH ('connector' = 'collect');
