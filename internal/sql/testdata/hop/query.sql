-- HOP without keys, named arguments, HAVING over the window aggregate.
CREATE TABLE bids (
  auction BIGINT,
  bidder STRING,
  price BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'values');

CREATE TABLE out (window_end TIMESTAMP(3), n BIGINT, total BIGINT) WITH ('connector' = 'collect');

INSERT INTO out
SELECT window_end, COUNT(*) AS n, SUM(price) AS total
FROM TABLE(HOP(DATA => TABLE bids, TIMECOL => DESCRIPTOR(ts), SLIDE => INTERVAL '5' SECOND, SIZE => INTERVAL '10' SECOND))
GROUP BY window_start, window_end
HAVING COUNT(*) > 2;
