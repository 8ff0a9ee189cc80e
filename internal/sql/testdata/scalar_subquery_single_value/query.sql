-- Scalar subqueries the planner cannot prove to give at most one row are
-- accepted, as Flink does, with a run-time check (Calcite's SINGLE_VALUE,
-- GroupAggregate select=[SINGLE_VALUE(...)]): the subquery's rows
-- (grouped by its correlated columns when correlated) kept one per outer
-- row; a second row held at once fails the job (err_scalar_subquery,
-- err_scalar_subquery_in_agg_rows, err_scalar_subquery_correlated_rows).
-- rates is a changelog whose one row is updated (+I 2, -U 2, +U 3): the
-- -U takes the row back before the +U, so the count goes 1, 0, 1 and the
-- job goes on; every value ends at 3. A subquery without a row is NULL
-- (items has no id 3; auction NULL equals nothing); a NULL value (item
-- 2's name) is a row. A correlated DISTINCT keeps one row of item 3's
-- two equal offers. ORDER BY ... LIMIT 1 is a Top-1, whose update of
-- the top row is a -U before its +U. A correlated global aggregation
-- (DISTINCT or not) is one row per outer row as before: its COUNT is 0
-- over no rows, no SINGLE_VALUE.
-- The order of changes between the sides of a join is not defined: the
-- final rows are compared.
CREATE TABLE bids (auction BIGINT, price INT) WITH ('connector' = 'values');
CREATE TABLE rates (rate INT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE items (id BIGINT, name STRING) WITH ('connector' = 'values');
CREATE TABLE offers (item BIGINT, amount INT) WITH ('connector' = 'values');
CREATE TABLE with_rate (auction BIGINT, price INT, rate INT) WITH ('connector' = 'collect');
CREATE TABLE named (auction BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE top_offer (auction BIGINT, top INT) WITH ('connector' = 'collect');
CREATE TABLE totals (auction BIGINT, total INT, above BIGINT) WITH ('connector' = 'collect');
CREATE TABLE highest (auction BIGINT, best INT) WITH ('connector' = 'collect');
CREATE TABLE best (auction BIGINT, best INT) WITH ('connector' = 'collect');
CREATE TABLE counted (auction BIGINT, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE small_offer (auction BIGINT, amount INT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO with_rate SELECT auction, price, (SELECT rate FROM rates) FROM bids;
INSERT INTO named SELECT auction, (SELECT name FROM items WHERE id = b.auction) FROM bids b;
INSERT INTO top_offer SELECT auction, (SELECT MAX(amount) FROM offers WHERE item = b.auction GROUP BY item) FROM bids b;
INSERT INTO totals SELECT auction, SUM(price * (SELECT rate FROM rates)), COUNT(*) FILTER (WHERE price > (SELECT rate FROM rates) * 5) FROM bids GROUP BY auction;
INSERT INTO highest SELECT auction, (SELECT DISTINCT price FROM bids WHERE price > 25) FROM bids;
INSERT INTO counted SELECT auction, (SELECT DISTINCT COUNT(*) FROM offers WHERE item = b.auction) FROM bids b;
INSERT INTO small_offer SELECT auction, (SELECT DISTINCT amount FROM offers WHERE item = b.auction AND amount < 20) FROM bids b;
INSERT INTO best SELECT auction, (SELECT price FROM bids ORDER BY price DESC LIMIT 1) FROM bids;
END;
EXPLAIN SELECT auction, price, (SELECT rate FROM rates) FROM bids;
EXPLAIN SELECT auction, (SELECT name FROM items WHERE id = b.auction) FROM bids b;
