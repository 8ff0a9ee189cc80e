-- Rising runs of at least three prices (PREV), per symbol, within 5 s, with
-- the quantifiers {n,} and {,m}, FIRST/LAST with offsets and SUM/MIN/MAX;
-- AFTER MATCH SKIP TO NEXT ROW lets matches overlap.
CREATE TABLE Ticker (symbol STRING, rowtime TIMESTAMP(3), price BIGINT,
  WATERMARK FOR rowtime AS rowtime - INTERVAL '2' SECOND) WITH ('connector' = 'values');
CREATE TABLE out (symbol STRING, startPrice BIGINT, secondPrice BIGINT, topPrice BIGINT, total BIGINT, lo BIGINT, hi BIGINT, endRow TIMESTAMP(3))
  WITH ('connector' = 'collect');

INSERT INTO out
SELECT *
FROM Ticker
    MATCH_RECOGNIZE (
        PARTITION BY symbol
        ORDER BY rowtime
        MEASURES FIRST(UP.price) AS startPrice, FIRST(UP.price, 1) AS secondPrice, LAST(UP.price) AS topPrice,
            SUM(UP.price) AS total, MIN(UP.price) AS lo, MAX(UP.price) AS hi, LAST(UP.rowtime) AS endRow
        AFTER MATCH SKIP TO NEXT ROW
        PATTERN (S UP{2,}? D{,2}? E)
        WITHIN INTERVAL '5' SECOND
        DEFINE
            UP AS UP.price > PREV(UP.price),
            D AS D.price < PREV(D.price) AND D.price > FIRST(UP.price),
            E AS E.price <= FIRST(UP.price)
    );
