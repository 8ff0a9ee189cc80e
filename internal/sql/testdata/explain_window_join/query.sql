CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE asks (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
-- A window join of two window aggregations, then a window aggregation of its result.
EXPLAIN
SELECT window_start, window_end, MAX(spread) FROM (
  SELECT b.window_start, b.window_end, b.auction, b.top - a.low AS spread
  FROM (SELECT auction, window_start, window_end, MAX(price) AS top FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end) b
  LEFT JOIN (SELECT auction, window_start, window_end, MIN(price) AS low FROM TABLE(TUMBLE(TABLE asks, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end) a
  ON b.auction = a.auction AND b.window_start = a.window_start AND b.window_end = a.window_end
) GROUP BY window_start, window_end;
-- A window table function without an aggregation.
EXPLAIN SELECT auction, window_start, window_end FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND));
-- Joined without the window columns it is a regular join, whose output is
-- no window relation: the aggregation after it is a GROUP BY.
EXPLAIN
SELECT window_start, window_end, COUNT(*) FROM (
  SELECT b.window_start, b.window_end
  FROM (SELECT auction, window_start, window_end, MAX(price) AS top FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end) b
  JOIN (SELECT auction, window_start, window_end, MIN(price) AS low FROM TABLE(TUMBLE(TABLE asks, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY auction, window_start, window_end) a
  ON b.auction = a.auction
) GROUP BY window_start, window_end;
-- WHERE may read the window columns of a window table function.
EXPLAIN SELECT auction, window_end FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)) WHERE window_start > TIMESTAMP '2024-01-01 00:00:00';
-- A WHERE on the windows of an aggregated window TVF: the windows are assigned first.
EXPLAIN SELECT window_start, COUNT(*) FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
WHERE window_start >= TIMESTAMP '2024-01-01 00:00:00' GROUP BY window_start, window_end;
