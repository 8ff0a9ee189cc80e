-- Uncorrelated scalar subqueries, planned as Flink does: a LEFT join of
-- each row with the single row of a global aggregation (NULL while it has
-- none), retracted and emitted again when the value changes. The order of
-- changes between the two sides of a join is not defined: the final rows
-- are compared. No cap is above 1000: MAX over no rows gives no row, NULL.
-- In an aggregating SELECT it is joined after the aggregation (one row
-- per group; scalar_subquery_agg). A correlated one (inner.k = outer.x) is the
-- subquery grouped by k (NULL k left out), LEFT joined on x = k, as Flink
-- decorrelates it; a COUNT over no rows is 0, other aggregates NULL.
CREATE TABLE bids (auction BIGINT, price INT) WITH ('connector' = 'values');
CREATE TABLE limits (cap INT) WITH ('connector' = 'values');
CREATE TABLE with_max (auction BIGINT, price INT, top INT, share DOUBLE) WITH ('connector' = 'collect');
CREATE TABLE above_avg (auction BIGINT, price INT) WITH ('connector' = 'collect');
CREATE TABLE below_cap (auction BIGINT, price INT) WITH ('connector' = 'collect');
CREATE TABLE no_rows (auction BIGINT, m INT) WITH ('connector' = 'collect');
CREATE TABLE share (big BOOLEAN, n BIGINT, pct BIGINT) WITH ('connector' = 'collect');
CREATE TABLE offers (item BIGINT, amount INT) WITH ('connector' = 'values');
CREATE TABLE top_offer (item BIGINT, amount INT) WITH ('connector' = 'collect');
CREATE TABLE offer_counts (item BIGINT, amount INT, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE offer_bids (item BIGINT, total INT, bids BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO with_max SELECT auction, price, (SELECT MAX(price) FROM bids), CAST(price AS DOUBLE) / (SELECT SUM(price) FROM bids) FROM bids;
INSERT INTO above_avg SELECT auction, price FROM bids WHERE price > (SELECT AVG(price) FROM bids);
INSERT INTO below_cap SELECT * FROM bids WHERE price < (SELECT MIN(cap) FROM limits);
INSERT INTO no_rows SELECT auction, (SELECT MAX(cap) FROM limits WHERE cap > 1000) FROM bids;
INSERT INTO share SELECT price > 15, COUNT(*), COUNT(*) * 100 / (SELECT COUNT(*) FROM bids) FROM bids GROUP BY price > 15 HAVING COUNT(*) < (SELECT COUNT(*) FROM bids);
INSERT INTO top_offer SELECT item, amount FROM offers o WHERE amount = (SELECT MAX(amount) FROM offers WHERE item = o.item);
INSERT INTO offer_counts SELECT item, amount, (SELECT COUNT(*) FROM offers WHERE item = o.item) FROM offers o;
INSERT INTO offer_bids SELECT item, SUM(amount), (SELECT COUNT(*) FROM bids WHERE auction = o.item) FROM offers o GROUP BY item;
END;
EXPLAIN SELECT item, amount FROM offers o WHERE amount = (SELECT MAX(amount) FROM offers WHERE item = o.item);
EXPLAIN SELECT price > 15, COUNT(*) * 100 / (SELECT COUNT(*) FROM bids) FROM bids GROUP BY price > 15;
EXPLAIN SELECT auction, price FROM bids WHERE price > (SELECT AVG(price) FROM bids);
