-- Column aliases in FROM keep the window columns of a window relation: a
-- window aggregation over renamed window_start/window_end stays a window
-- aggregation (insert-only), as without the aliases and as in Flink.
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE VIEW five AS SELECT auction, window_start, window_end, SUM(price) AS total
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND)) GROUP BY auction, window_start, window_end;
EXPLAIN SELECT ws, we, MAX(total) FROM five AS f(a, ws, we, total) GROUP BY ws, we;
