-- EXPLAIN shows the OFFSET of a window (TUMBLE and HOP), and a join key
-- compared by IS NOT DISTINCT FROM.
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE items (id BIGINT, name STRING) WITH ('connector' = 'values');
EXPLAIN
SELECT window_start, window_end, COUNT(*) AS n
FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '2' HOUR, INTERVAL '75' MINUTE))
GROUP BY window_start, window_end;
EXPLAIN
SELECT b.price, i.name FROM bids b LEFT JOIN items i ON b.auction IS NOT DISTINCT FROM i.id;
