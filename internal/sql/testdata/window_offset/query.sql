-- The OFFSET of TUMBLE and HOP shifts the window starts (Flink's
-- TimeWindow.getWindowStartWithOffset): 1-hour windows from :15, 2-hour
-- windows every hour from :15. An offset is taken modulo the slide, so
-- '-45' MINUTE is the same as '15' MINUTE; both feed the window aggregation
-- and the window table (window_start/window_end of each row).
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE tumble_out (window_start STRING, window_end STRING, n BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE TABLE neg_out (window_start STRING, window_end STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE hop_out (window_start STRING, window_end STRING, n BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE TABLE rows_out (price BIGINT, window_start STRING, window_end STRING) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO tumble_out SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), COUNT(*), SUM(price)
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '15' MINUTE)) GROUP BY window_start, window_end;
INSERT INTO neg_out SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), COUNT(*)
  FROM TABLE(TUMBLE(DATA => TABLE bids, TIMECOL => DESCRIPTOR(ts), SIZE => INTERVAL '1' HOUR, OFFSET => INTERVAL '-45' MINUTE)) GROUP BY window_start, window_end;
INSERT INTO hop_out SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), COUNT(*), SUM(price)
  FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '2' HOUR, INTERVAL '15' MINUTE)) GROUP BY window_start, window_end;
INSERT INTO rows_out SELECT price, CAST(window_start AS STRING), CAST(window_end AS STRING) FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '15' MINUTE));
END;
