-- The new aggregates in windows. TUMBLE and HOP: the variances of exact
-- types merge exactly, so they take the sliced window path (Merge of the
-- slices, a HOP window of two slices); LISTAGG, FIRST_VALUE and LAST_VALUE
-- take the window operator and keep the arrival order of the window's
-- rows. SESSION (gap 4 minutes): A's sessions of 08:00 and 08:08 are
-- merged by the row at 08:04 (their accumulators merged), then extended
-- by 08:12; the row at 08:02 arrives last.
CREATE TABLE bids (item STRING, price INT, bidder STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE) WITH ('connector' = 'values');
CREATE TABLE tumbled (item STRING, window_start TIMESTAMP(3), bidders STRING, first_bidder STRING, last_bidder STRING,
  vp INT, sd INT, sdd DOUBLE, vsd DECIMAL(38, 6)) WITH ('connector' = 'collect');
CREATE TABLE hopped (item STRING, window_start TIMESTAMP(3), vp INT, vs INT, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE sessions (item STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), vp INT, vsd DECIMAL(38, 6), n BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO tumbled
SELECT item, window_start, LISTAGG(bidder), FIRST_VALUE(bidder), LAST_VALUE(bidder), VAR_POP(price), STDDEV_SAMP(price),
  STDDEV_POP(CAST(price AS DOUBLE)), VAR_SAMP(CAST(price AS DECIMAL(10, 1)))
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' MINUTE))
GROUP BY item, window_start, window_end;
INSERT INTO hopped
SELECT item, window_start, VAR_POP(price), VAR_SAMP(price), COUNT(*)
FROM TABLE(HOP(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' MINUTE, INTERVAL '10' MINUTE))
GROUP BY item, window_start, window_end;
INSERT INTO sessions
SELECT item, window_start, window_end, VAR_POP(price), VAR_SAMP(CAST(price AS DECIMAL(10, 1))), COUNT(*)
FROM TABLE(SESSION(TABLE bids PARTITION BY item, DESCRIPTOR(ts), INTERVAL '4' MINUTES))
GROUP BY item, window_start, window_end;
END;
