-- ROW_NUMBER Top-N (the 2 highest bids per auction, with the row number)
-- and deduplication (the first bid of each bidder, without it).
CREATE TABLE bids (
  auction BIGINT,
  bidder STRING,
  price BIGINT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'values');

CREATE TABLE top2 (auction BIGINT, price BIGINT, bidder STRING, rn BIGINT) WITH ('connector' = 'collect');
CREATE TABLE firsts (bidder STRING, auction BIGINT, price BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO top2
SELECT auction, price, bidder, rn FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rn FROM bids
) WHERE rn <= 2;
INSERT INTO firsts
SELECT bidder, auction, price FROM (
  SELECT bidder, auction, price, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY ts) AS rownum FROM bids
) WHERE rownum = 1;
END;
