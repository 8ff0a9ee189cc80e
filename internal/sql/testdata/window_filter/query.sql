-- A WHERE on the windows of a window TVF: the rows get their windows
-- (WindowTableFunction), the filter drops some, the aggregation groups the
-- remaining windows (equal to HOP's aggregation over the kept windows).
CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE out (window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE TABLE rows_out (auction BIGINT, price BIGINT, window_start TIMESTAMP(3)) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO out
SELECT window_start, window_end, COUNT(*), SUM(price)
FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
WHERE window_start >= TIMESTAMP '2024-01-01 00:00:05'
GROUP BY window_start, window_end;
INSERT INTO rows_out
SELECT auction, price, window_start
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
WHERE price > 10;
END;
