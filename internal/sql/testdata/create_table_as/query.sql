-- CREATE TABLE ... AS SELECT (Flink's CTAS): the table gets the query's
-- columns (the event-time attribute ts becomes a plain TIMESTAMP(3)) and
-- the WITH options, then the query's rows are written to it. EXPLAIN
-- shows the INSERT's plan and creates no table.
CREATE TABLE bids (auction BIGINT NOT NULL, price INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE big_bids WITH ('connector' = 'collect') AS
SELECT auction, price * 2 AS doubled, ts FROM bids WHERE price > 10;
SHOW CREATE TABLE big_bids;
EXPLAIN CREATE TABLE explained WITH ('connector' = 'collect') AS SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction;
SHOW TABLES;
