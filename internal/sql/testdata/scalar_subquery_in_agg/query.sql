-- A scalar subquery inside an aggregate call's argument is joined to the
-- input before the aggregation (as Flink: Calcite's SqlToRelConverter), a
-- keyless LEFT join of every bid with the subquery's single row: the rate
-- is NULL until rates has a row (SUM of NULLs is NULL), and each change of
-- MAX(rate) retracts every bid and adds it again with the new rate, which
-- the (now retracting) SUM follows. rates is held back (after-rows) until
-- the two NULL totals are out, so the changelog is defined: rate 2 (auction
-- 1: 20 then 30, auction 2: 14), then MAX's -U 2 / +U 3, through which the
-- join passes every bid through NULL again (a second pair of NULL totals),
-- then rate 3 (45 and 21).
CREATE TABLE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'values');
CREATE TABLE rates (rate BIGINT) WITH ('connector' = 'values', 'after-rows' = '2');
CREATE TABLE o (auction BIGINT, total BIGINT) WITH ('connector' = 'collect');
INSERT INTO o SELECT auction, SUM(price * (SELECT MAX(rate) FROM rates)) FROM bids GROUP BY auction;
