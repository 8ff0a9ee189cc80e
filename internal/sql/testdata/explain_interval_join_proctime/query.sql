-- EXPLAIN of processing-time interval joins (Flink's ProcTimeIntervalJoin):
-- bounds of two PROCTIME() attributes make an IntervalJoin marked
-- proctime, inner and outer (the residual ON condition in the join);
-- DESCRIBE: the time columns of the sides never padded stay processing-
-- time attributes, so a processing-time window may follow. Bounds of a
-- processing-time and an event-time attribute, or one bound only, stay
-- a regular join's condition, as before this join existed (Flink refuses
-- both with a TableException: "Both time attributes in a join condition
-- must be of the same type"; one time condition is not an interval join).
CREATE TABLE bids (auction BIGINT, price BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE auctions (id BIGINT, seller BIGINT, ts TIMESTAMP(3), pt AS PROCTIME(), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
EXPLAIN SELECT b.auction, b.price, a.seller FROM bids b JOIN auctions a
  ON b.auction = a.id AND b.pt BETWEEN a.pt - INTERVAL '1' MINUTE AND a.pt;
EXPLAIN SELECT b.auction, b.price, a.seller FROM bids b, auctions a
  WHERE b.auction = a.id AND a.pt > b.pt - INTERVAL '10' SECOND AND a.pt <= b.pt + INTERVAL '5' SECOND AND b.price > 10;
EXPLAIN SELECT b.auction, a.seller FROM bids b LEFT JOIN auctions a
  ON b.auction = a.id AND a.pt BETWEEN b.pt - INTERVAL '1' MINUTE AND b.pt AND a.seller <> b.price;
EXPLAIN SELECT b.auction, a.seller FROM bids b FULL JOIN auctions a
  ON b.auction = a.id AND a.pt BETWEEN b.pt AND b.pt + INTERVAL '1' MINUTE;
CREATE VIEW ij AS SELECT b.auction, b.pt AS bpt, a.pt AS apt FROM bids b JOIN auctions a
  ON b.auction = a.id AND b.pt BETWEEN a.pt - INTERVAL '1' MINUTE AND a.pt;
DESCRIBE ij;
CREATE VIEW rj AS SELECT b.auction, b.pt AS bpt, a.pt AS apt FROM bids b RIGHT JOIN auctions a
  ON b.auction = a.id AND b.pt BETWEEN a.pt - INTERVAL '1' MINUTE AND a.pt;
DESCRIBE rj;
EXPLAIN SELECT auction, COUNT(*), window_start FROM TABLE(TUMBLE(TABLE ij, DESCRIPTOR(bpt), INTERVAL '10' SECOND))
  GROUP BY auction, window_start, window_end;
EXPLAIN SELECT b.auction, a.seller FROM bids b JOIN auctions a
  ON b.auction = a.id AND b.pt BETWEEN a.ts - INTERVAL '1' MINUTE AND a.ts;
EXPLAIN SELECT b.auction, a.seller FROM bids b JOIN auctions a
  ON b.auction = a.id AND b.pt >= a.pt;
