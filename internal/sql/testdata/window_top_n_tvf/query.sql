-- Window Top-N straight over a window table function: the highest bid of
-- each 10-second window (Nexmark q7's idea), inserts only; the bid at 8 s
-- arrives after the watermark passed its window's end and is dropped.
CREATE TABLE bids (
  auction BIGINT,
  price BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'values', 'one-per-read' = 'true');

CREATE TABLE out (window_start TIMESTAMP(3), window_end TIMESTAMP(3), auction BIGINT, price BIGINT) WITH ('connector' = 'collect');

INSERT INTO out
SELECT window_start, window_end, auction, price FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rk
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND)))
WHERE rk = 1;
