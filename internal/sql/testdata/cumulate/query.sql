-- CUMULATE: windows growing by 5 s up to 10 s.
CREATE TABLE bids (
  auction BIGINT,
  bidder STRING,
  price BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts
) WITH ('connector' = 'values');

CREATE TABLE out (window_start TIMESTAMP(3), window_end TIMESTAMP(3), n BIGINT, total BIGINT) WITH ('connector' = 'collect');

INSERT INTO out
SELECT window_start, window_end, COUNT(*), SUM(price)
FROM TABLE(CUMULATE(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
