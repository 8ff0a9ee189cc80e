-- Processing-time interval joins run: the case's manual clock (file
-- "clock") does not move, so every row arrives at the join at the same
-- processing time, whatever the order the two sources are read in: the
-- inner join pairs every bid with its auction (b.pt - a.pt = 0 is in
-- [-1 min, 0]) and NULL keys pair with nothing; its output's time
-- columns hold the values PROCTIME() gave the rows. The LEFT join whose
-- bounds need the auction a minute before the bid finds no partner and,
-- its range over at its arrival, emits each bid padded at once; the FULL join emits its pairs and the rows with a NULL
-- key padded at once, and the rows that wait for a partner (bid 50,
-- auction 3) are not padded at the end of the input (processing-time
-- timers do not fire then, as in Flink).
CREATE TABLE bids (auction BIGINT, price BIGINT, pt AS PROCTIME()) WITH ('connector' = 'values');
CREATE TABLE auctions (id BIGINT, seller BIGINT, pt AS PROCTIME()) WITH ('connector' = 'values');
CREATE TABLE inner_out (auction BIGINT, price BIGINT, seller BIGINT, bpt TIMESTAMP_LTZ(3), apt TIMESTAMP_LTZ(3)) WITH ('connector' = 'collect');
CREATE TABLE left_out (auction BIGINT, price BIGINT, seller BIGINT) WITH ('connector' = 'collect');
CREATE TABLE full_out (auction BIGINT, price BIGINT, id BIGINT, seller BIGINT) WITH ('connector' = 'collect');
INSERT INTO inner_out SELECT b.auction, b.price, a.seller, b.pt, a.pt FROM bids b JOIN auctions a
  ON b.auction = a.id AND b.pt BETWEEN a.pt - INTERVAL '1' MINUTE AND a.pt;
INSERT INTO left_out SELECT b.auction, b.price, a.seller FROM bids b LEFT JOIN auctions a
  ON b.auction = a.id AND b.pt BETWEEN a.pt + INTERVAL '1' MINUTE AND a.pt + INTERVAL '2' MINUTE;
INSERT INTO full_out SELECT b.auction, b.price, a.id, a.seller FROM bids b FULL JOIN auctions a
  ON b.auction = a.id AND a.pt BETWEEN b.pt AND b.pt + INTERVAL '10' SECOND;
