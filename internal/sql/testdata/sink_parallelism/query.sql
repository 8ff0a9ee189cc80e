-- 'sink.parallelism' (Flink's): the sink operator runs at that
-- parallelism. When it differs from its input's (the job's, 1 here) the
-- rows are rebalanced, or hashed by the table's primary key when it has
-- one (and the sink more than one subtask), so that the changes of a key
-- reach one subtask in order; at the input's parallelism they go forward.
-- EXPLAIN shows it on the Sink. (The row order across subtasks is not
-- defined: the final rows are compared.)
-- An updating query into a table with a primary key whose last keyed step
-- is not keyed by key columns only (here the join, keyed by n) gets a
-- SinkMaterializer keyed by the primary key: a key's -U and +U may come
-- from two join subtasks in either order, and it emits the key's current
-- row. `totals` needs none: its aggregation is keyed by the key.
CREATE TABLE bids (auction BIGINT, price INT, ts TIMESTAMP(3)) WITH ('connector' = 'values');
CREATE TABLE copied (auction BIGINT, price INT) WITH ('connector' = 'collect', 'sink.parallelism' = '3');
CREATE TABLE keyed (auction BIGINT, price INT, PRIMARY KEY (auction) NOT ENFORCED) WITH ('connector' = 'collect', 'sink.parallelism' = '2');
CREATE TABLE totals (auction BIGINT, total INT, n BIGINT, PRIMARY KEY (auction) NOT ENFORCED) WITH ('connector' = 'collect', 'sink.parallelism' = '3');
CREATE TABLE levels (n BIGINT, label STRING) WITH ('connector' = 'values');
CREATE TABLE labelled (auction BIGINT, n BIGINT, label STRING, PRIMARY KEY (auction) NOT ENFORCED) WITH ('connector' = 'collect', 'sink.parallelism' = '2');
CREATE TABLE one (auction BIGINT, total INT, n BIGINT, PRIMARY KEY (auction) NOT ENFORCED) WITH ('connector' = 'collect', 'sink.parallelism' = '1');
EXPLAIN INSERT INTO copied SELECT auction, price FROM bids;
EXPLAIN INSERT INTO keyed SELECT auction, price FROM bids WHERE price > 5;
EXPLAIN INSERT INTO totals SELECT auction, SUM(price), COUNT(*) FROM bids GROUP BY auction;
EXPLAIN INSERT INTO one SELECT auction, SUM(price), COUNT(*) FROM bids GROUP BY auction;
EXPLAIN INSERT INTO labelled SELECT c.auction, c.n, l.label FROM (SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction) c JOIN levels l ON c.n = l.n;
EXECUTE STATEMENT SET BEGIN
INSERT INTO copied SELECT auction, price FROM bids;
INSERT INTO keyed SELECT auction, price FROM bids WHERE price > 5;
INSERT INTO totals SELECT auction, SUM(price), COUNT(*) FROM bids GROUP BY auction;
INSERT INTO one SELECT auction, SUM(price), COUNT(*) FROM bids GROUP BY auction;
INSERT INTO labelled SELECT c.auction, c.n, l.label FROM (SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction) c JOIN levels l ON c.n = l.n;
END;
