-- SUM/AVG/MIN/MAX(DISTINCT) in a window aggregation (the value counts in
-- the accumulator, expr.NewDistinct) and an OVER aggregation (map state per
-- distinct argument, as GROUP BY):
-- each price counts once per window / partition; NULLs are no value;
-- last2 (the row and the one before) takes the row leaving the frame back.
CREATE TABLE bids (
  auction BIGINT,
  price BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'values');
CREATE TABLE win (auction BIGINT, window_start TIMESTAMP(3), n BIGINT, prices BIGINT, total BIGINT, mean BIGINT, lo BIGINT, hi BIGINT) WITH ('connector' = 'collect');
CREATE TABLE running (auction BIGINT, price BIGINT, prices BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE TABLE last2 (auction BIGINT, price BIGINT, prices BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO win
SELECT auction, window_start, COUNT(*), COUNT(DISTINCT price), SUM(DISTINCT price), AVG(DISTINCT price), MIN(DISTINCT price), MAX(DISTINCT price)
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end;
INSERT INTO running
SELECT auction, price,
  COUNT(DISTINCT price) OVER w, SUM(DISTINCT price) OVER w
FROM bids WINDOW w AS (PARTITION BY auction ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
INSERT INTO last2
SELECT auction, price, COUNT(DISTINCT price) OVER (PARTITION BY auction ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
FROM bids;
END;
