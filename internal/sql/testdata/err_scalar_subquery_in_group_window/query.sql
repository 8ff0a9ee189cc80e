-- A scalar subquery inside an aggregate call of a group window (GROUP BY
-- TUMBLE(...)) is refused at plan time, naming the subquery and the window
-- TVF form that plans it (scalar_subquery_in_window_agg); before, the error
-- said `ts` was no time attribute.
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE rates (rate BIGINT) WITH ('connector' = 'values');
CREATE TABLE o (ws TIMESTAMP(3), total BIGINT) WITH ('connector' = 'collect');
INSERT INTO o SELECT TUMBLE_START(ts, INTERVAL '10' SECOND), SUM(price * (SELECT MAX(rate) FROM rates))
FROM bids GROUP BY TUMBLE(ts, INTERVAL '10' SECOND);
