CREATE TABLE bids (a INT) WITH ('connector' = 'values');
DROP TABLE bid;
