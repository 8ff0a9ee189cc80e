-- SUM/AVG/MIN/MAX(DISTINCT) in a window aggregation and an OVER
-- aggregation (the value counts in the accumulator, expr.NewDistinct):
-- each price counts once per window / partition; NULLs are no value.
CREATE TABLE bids (
  auction BIGINT,
  price BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'values');
CREATE TABLE win (auction BIGINT, window_start TIMESTAMP(3), n BIGINT, prices BIGINT, total BIGINT, mean BIGINT, lo BIGINT, hi BIGINT) WITH ('connector' = 'collect');
CREATE TABLE running (auction BIGINT, price BIGINT, prices BIGINT, total BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO win
SELECT auction, window_start, COUNT(*), COUNT(DISTINCT price), SUM(DISTINCT price), AVG(DISTINCT price), MIN(DISTINCT price), MAX(DISTINCT price)
FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end;
INSERT INTO running
SELECT auction, price,
  COUNT(DISTINCT price) OVER w, SUM(DISTINCT price) OVER w
FROM bids WINDOW w AS (PARTITION BY auction ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);
END;
