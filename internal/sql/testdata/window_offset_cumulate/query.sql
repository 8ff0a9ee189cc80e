-- The OFFSET of CUMULATE shifts the window starts as TUMBLE's and HOP's
-- does, but its windows start every SIZE (Flink's CumulativeSliceAssigner:
-- getWindowStartWithOffset(ts, offset, maxSize)), so the offset is taken
-- modulo SIZE, not STEP: 2-hour windows growing by 30 minutes from :45 of
-- every odd hour; '-75' MINUTE is the same as '45' MINUTE. Both feed the
-- window aggregation and the window table.
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE cum_out (window_start STRING, window_end STRING, n BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE TABLE neg_out (window_start STRING, window_end STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE rows_out (price BIGINT, window_start STRING, window_end STRING) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO cum_out SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), COUNT(*), SUM(price)
  FROM TABLE(CUMULATE(TABLE bids, DESCRIPTOR(ts), INTERVAL '30' MINUTE, INTERVAL '2' HOUR, INTERVAL '45' MINUTE)) GROUP BY window_start, window_end;
INSERT INTO neg_out SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), COUNT(*)
  FROM TABLE(CUMULATE(DATA => TABLE bids, TIMECOL => DESCRIPTOR(ts), STEP => INTERVAL '30' MINUTE, SIZE => INTERVAL '2' HOUR, OFFSET => INTERVAL '-75' MINUTE)) GROUP BY window_start, window_end;
INSERT INTO rows_out SELECT price, CAST(window_start AS STRING), CAST(window_end AS STRING)
  FROM TABLE(CUMULATE(TABLE bids, DESCRIPTOR(ts), INTERVAL '30' MINUTE, INTERVAL '2' HOUR, INTERVAL '45' MINUTE));
END;
EXPLAIN SELECT window_start, window_end, COUNT(*) FROM TABLE(CUMULATE(TABLE bids, DESCRIPTOR(ts), INTERVAL '30' MINUTE, INTERVAL '2' HOUR, INTERVAL '45' MINUTE)) GROUP BY window_start, window_end;
