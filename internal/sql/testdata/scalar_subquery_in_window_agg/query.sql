-- A scalar subquery inside an aggregate call over a window table function:
-- the TVF's rows (window columns as plain columns) are LEFT joined with the
-- subquery's row before the aggregation, which then groups the updating
-- join output by window_start, window_end as a regular GroupAggregate
-- (EXPLAIN), updating too. Changelog as in scalar_subquery_in_agg with the
-- windows for auctions: NULL totals until rates has a row (held back by
-- after-rows), rate 2 (window 0 s: 20 then 30, window 10 s: 14), MAX's
-- -U 2 / +U 3 through NULL, rate 3: 45 and 21.
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE rates (rate BIGINT) WITH ('connector' = 'values', 'after-rows' = '2');
CREATE TABLE o (window_start TIMESTAMP(3), total BIGINT) WITH ('connector' = 'collect');
INSERT INTO o SELECT window_start, SUM(price * (SELECT MAX(rate) FROM rates))
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
EXPLAIN SELECT window_start, SUM(price * (SELECT MAX(rate) FROM rates))
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
