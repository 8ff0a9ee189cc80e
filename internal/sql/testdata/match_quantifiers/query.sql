-- Greedy and reluctant quantifiers: the Flink documentation's A B* C over
-- its prices 10 11 12 13 14 16. Greedy B* takes 12 13 14 and ends at 16
-- (the documentation's row); reluctant B*? ends at 13 (the documentation's
-- row), and a second match A=14 C=16 starts after it (the documentation
-- shows only the first row of each). COUNT(B.*) and COUNT(B.price) agree
-- (no NULL prices).
CREATE TABLE Ticker (symbol STRING, rowtime TIMESTAMP(3), price BIGINT, tax BIGINT,
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE out (q STRING, symbol STRING, firstPrice BIGINT, lastPrice BIGINT, nb BIGINT, avgB BIGINT, rt TIMESTAMP(3))
  WITH ('connector' = 'collect');

INSERT INTO out
SELECT 'greedy', symbol, firstPrice, lastPrice, nb, avgB, rt
FROM Ticker
    MATCH_RECOGNIZE (
        PARTITION BY symbol
        ORDER BY rowtime
        MEASURES A.price AS firstPrice, C.price AS lastPrice, COUNT(B.*) AS nb, AVG(B.price) AS avgB, MATCH_ROWTIME() AS rt
        ONE ROW PER MATCH
        AFTER MATCH SKIP PAST LAST ROW
        PATTERN (A B* C)
        DEFINE A AS A.price > 10, B AS B.price < 15, C AS C.price > 12
    )
UNION ALL
SELECT 'reluctant', symbol, firstPrice, lastPrice, nb, avgB, rt
FROM Ticker
    MATCH_RECOGNIZE (
        PARTITION BY symbol
        ORDER BY rowtime
        MEASURES A.price AS firstPrice, C.price AS lastPrice, COUNT(B.price) AS nb, AVG(B.price) AS avgB, MATCH_ROWTIME() AS rt
        PATTERN (A B*? C)
        DEFINE A AS A.price > 10, B AS B.price < 15, C AS C.price > 12
    );
