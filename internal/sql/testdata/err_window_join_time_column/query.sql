-- A window join emits its rows when the window fires, timed by
-- window_end - 1, and no column of a join stays a time attribute (as for
-- the window Top-N, err_window_top_n_time_column): a window over a
-- side's time column is an error.
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE asks (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (ws TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
CREATE VIEW bw AS SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '30' SECOND));
CREATE VIEW aw AS SELECT * FROM TABLE(TUMBLE(TABLE asks, DESCRIPTOR(ts), INTERVAL '30' SECOND));
CREATE VIEW j AS SELECT bw.auction, bw.ts FROM bw JOIN aw
  ON bw.auction = aw.auction AND bw.window_start = aw.window_start AND bw.window_end = aw.window_end;
INSERT INTO out SELECT window_start, COUNT(*)
  FROM TABLE(TUMBLE(TABLE j, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
