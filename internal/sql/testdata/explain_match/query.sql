CREATE TABLE Ticker (symbol STRING, rowtime TIMESTAMP(3), price BIGINT,
  WATERMARK FOR rowtime AS rowtime - INTERVAL '1' SECOND) WITH ('connector' = 'values');
EXPLAIN
SELECT symbol, s, e, n
FROM Ticker
    MATCH_RECOGNIZE (
        PARTITION BY symbol
        ORDER BY rowtime
        MEASURES FIRST(A.price) AS s, LAST(C.price) AS e, COUNT(B.price) AS n
        AFTER MATCH SKIP TO FIRST C
        PATTERN (A B{1,3}? C)
        WITHIN INTERVAL '10' MINUTE
        DEFINE B AS B.price < PREV(B.price), C AS C.price > A.price
    ) AS m
WHERE n > 1;
