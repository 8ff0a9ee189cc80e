-- A window TVF's alias column list renames its columns, the window columns
-- too (AS w(a, b, p, t, ws, we, wt)), as for other FROM items: a window
-- aggregation groups the renamed window columns, and a window relation
-- (no aggregation) selects them (the input and sums of "tumble").
CREATE TABLE bids (
  auction BIGINT,
  bidder STRING,
  price BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'values');

CREATE TABLE out (a BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3), total BIGINT) WITH ('connector' = 'collect');
CREATE TABLE rel (a BIGINT, p BIGINT, we TIMESTAMP(3)) WITH ('connector' = 'collect');

INSERT INTO out
SELECT a, ws, we, SUM(p)
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) AS w(a, b, p, t, ws, we, wt)
GROUP BY a, ws, we;

INSERT INTO rel
SELECT w.a, p, we
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) AS w(a, b, p, t, ws, we, wt)
WHERE p > 9;

EXPLAIN SELECT a, ws, we, SUM(p)
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) AS w(a, b, p, t, ws, we, wt)
GROUP BY a, ws, we;
