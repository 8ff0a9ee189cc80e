-- Join and correlated keys cast to their common type keep the row's own
-- value above the join (branch sqlleft2, review of sqlleft): CAST(ts AS
-- TIME) is a TIME(0) that keeps the milliseconds (as Flink), and joined
-- to a TIME literal with a fraction (TIME(1)) it is compared as TIME(1);
-- above the join the column is only given its type back, not cast to
-- TIME(0), which would cut 12:00:00.500 to 12:00:00. The same for a
-- regular, LEFT and correlated EXISTS join, a correlated scalar subquery
-- (also of an aggregation grouped by the TIME(0) column) and a
-- TIMESTAMP(0) holding milliseconds joined to a TIMESTAMP(3).
CREATE TABLE t (id INT, ms INT) WITH ('connector' = 'values');
CREATE VIEW a AS SELECT id, CAST(TIMESTAMPADD(MILLISECOND, ms, TIMESTAMP '2020-01-01 12:00:00') AS TIME) AS t0,
  TIMESTAMPADD(MILLISECOND, ms, TIMESTAMP '2020-01-01 12:00:00') AS ts FROM t;
CREATE VIEW b AS SELECT id, TIME '12:00:00.5' AS l, TIMESTAMP '2020-01-01 12:00:00.500' AS ts3 FROM t WHERE id = 1;
DESCRIBE a;
CREATE TABLE o (q INT, id INT, t0 TIME(0), s STRING, eq BOOLEAN, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO o SELECT 1, a.id, a.t0, CAST(CAST(a.t0 AS TIME(3)) AS STRING), a.t0 = b.l, CAST(NULL AS BIGINT) FROM a JOIN b ON a.t0 = b.l;
INSERT INTO o SELECT 2, a.id, a.t0, CAST(CAST(a.t0 AS TIME(3)) AS STRING), a.t0 = b.l, CAST(NULL AS BIGINT) FROM a LEFT JOIN b ON a.t0 = b.l AND b.id > 0;
INSERT INTO o SELECT 3, a.id, a.t0, CAST(CAST(a.t0 AS TIME(3)) AS STRING), TRUE, CAST(NULL AS BIGINT) FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.l = a.t0);
INSERT INTO o SELECT 4, a.id, a.t0, CAST(CAST(a.t0 AS TIME(3)) AS STRING), CAST(NULL AS BOOLEAN), (SELECT COUNT(*) FROM b WHERE b.l = a.t0) FROM a;
INSERT INTO o SELECT 5, MAX(a.id), a.t0, CAST(CAST(a.t0 AS TIME(3)) AS STRING), a.t0 = TIME '12:00:00.5', (SELECT COUNT(*) FROM b WHERE b.l = a.t0) FROM a GROUP BY a.t0;
INSERT INTO o SELECT 6, a.id, CAST(a.ts AS TIME), CAST(CAST(a.ts AS TIMESTAMP(3)) AS STRING), a.ts = b.ts3, CAST(NULL AS BIGINT) FROM a JOIN b ON a.ts = b.ts3;
EXPLAIN SELECT a.id, a.t0 FROM a JOIN b ON a.t0 = b.l;
