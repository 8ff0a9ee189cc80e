-- ARRAY_AGG([ALL | DISTINCT] x [RESPECT NULLS | IGNORE NULLS]) as Flink
-- 1.20: the values in arrival order, NULLs kept unless IGNORE NULLS, NULL
-- (not []) over no value, DISTINCT once per value in the order of first
-- occurrence. GROUP BY over a changelog: a retraction takes back the
-- earliest equal value; a group whose values are all retracted gives NULL.
-- HOP (slide 5 min, size 10 min): each row is in two windows, each window
-- its own array. SESSION merges the arrays of merged sessions. OVER with a
-- bounded frame retracts the row that leaves it.
CREATE TABLE acc (k STRING, v INT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE bids (item STRING, bidder STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE) WITH ('connector' = 'values');
CREATE VIEW g AS SELECT k, ARRAY_AGG(v) AS a, ARRAY_AGG(DISTINCT v) AS d, ARRAY_AGG(v IGNORE NULLS) AS i,
  ARRAY_AGG(ALL v RESPECT NULLS) AS r, ARRAY_AGG(v) FILTER (WHERE v > 1) AS f FROM acc GROUP BY k;
DESCRIBE g;
CREATE TABLE grouped (k STRING, a ARRAY<INT>, d ARRAY<INT>, i ARRAY<INT>, r ARRAY<INT>, f ARRAY<INT>) WITH ('connector' = 'collect');
CREATE TABLE hopped (item STRING, window_start TIMESTAMP(3), bidders ARRAY<STRING>, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE sessions (item STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), bidders ARRAY<STRING>, distinct_bidders ARRAY<STRING>) WITH ('connector' = 'collect');
CREATE TABLE overed (item STRING, ts TIMESTAMP(3), last2 ARRAY<STRING>) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO grouped SELECT * FROM g;
INSERT INTO hopped
SELECT item, window_start, ARRAY_AGG(bidder), COUNT(*)
FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' MINUTE, INTERVAL '10' MINUTE))
GROUP BY item, window_start, window_end;
INSERT INTO sessions
SELECT item, window_start, window_end, ARRAY_AGG(bidder), ARRAY_AGG(DISTINCT bidder IGNORE NULLS)
FROM TABLE(SESSION(TABLE bids PARTITION BY item, DESCRIPTOR(ts), INTERVAL '4' MINUTES))
GROUP BY item, window_start, window_end;
INSERT INTO overed
SELECT item, ts, ARRAY_AGG(bidder) OVER (PARTITION BY item ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM bids;
END;
EXPLAIN SELECT k, ARRAY_AGG(DISTINCT v IGNORE NULLS) FROM acc GROUP BY k;
