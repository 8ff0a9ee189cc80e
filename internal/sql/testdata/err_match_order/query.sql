CREATE TABLE Ticker (symbol STRING, rowtime TIMESTAMP(3), price BIGINT,
  WATERMARK FOR rowtime AS rowtime) WITH ('connector' = 'values');
CREATE TABLE out (symbol STRING, p BIGINT) WITH ('connector' = 'collect');
INSERT INTO out
SELECT * FROM Ticker MATCH_RECOGNIZE (PARTITION BY symbol ORDER BY price
  MEASURES A.price AS p PATTERN (A B) DEFINE A AS A.price > 1);
