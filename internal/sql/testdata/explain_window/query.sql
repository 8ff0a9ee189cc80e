CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE out (auction BIGINT, window_start TIMESTAMP(3), n BIGINT, top BIGINT) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO out
SELECT auction, window_start, COUNT(*), MAX(price) * 2
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
WHERE price > 5
GROUP BY auction, window_start, window_end;
