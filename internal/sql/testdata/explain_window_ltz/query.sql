-- Windows over a TIMESTAMP_LTZ rowtime in a session time zone other than
-- UTC are aligned in that zone: the plan names it (zone=[...]); over a
-- TIMESTAMP rowtime, or in UTC, the plan is the one it always was.
CREATE TABLE bids (auction BIGINT, price BIGINT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE bids_ts (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (auction BIGINT, window_start TIMESTAMP(3), window_time TIMESTAMP_LTZ(3), n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE out_ts (auction BIGINT, window_start TIMESTAMP(3), window_time TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO out SELECT auction, window_start, window_time, COUNT(*)
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' DAY)) GROUP BY auction, window_start, window_end, window_time;
SET 'table.local-time-zone' = 'Europe/Berlin';
EXPLAIN INSERT INTO out SELECT auction, window_start, window_time, COUNT(*)
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' DAY)) GROUP BY auction, window_start, window_end, window_time;
EXPLAIN INSERT INTO out SELECT auction, window_start, window_time, 1 FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '1' DAY));
EXPLAIN INSERT INTO out_ts SELECT auction, window_start, window_time, COUNT(*)
FROM TABLE(TUMBLE(TABLE bids_ts, DESCRIPTOR(ts), INTERVAL '1' DAY)) GROUP BY auction, window_start, window_end, window_time;
CREATE TABLE pairs (a BIGINT, b BIGINT, ws TIMESTAMP(3)) WITH ('connector' = 'collect');
CREATE VIEW w AS SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' HOUR));
EXPLAIN INSERT INTO pairs SELECT l.auction, r.auction, l.window_start FROM w l JOIN w r
ON l.price = r.price AND l.window_start = r.window_start AND l.window_end = r.window_end;
EXPLAIN INSERT INTO pairs SELECT auction, price, window_start FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rn FROM w) WHERE rn <= 2;
CREATE TABLE sums (ws TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO sums SELECT window_start, COUNT(*) FROM (
    SELECT auction, window_start, window_end, COUNT(*) AS c FROM w GROUP BY auction, window_start, window_end)
GROUP BY window_start, window_end;
