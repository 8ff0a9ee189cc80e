-- An updating query into a sink of another parallelism than its input's
-- needs the table's primary key (Flink: "a primary key is required but
-- could not be found").
CREATE TABLE bids (auction BIGINT, price INT) WITH ('connector' = 'values');
CREATE TABLE totals (auction BIGINT, total INT) WITH ('connector' = 'collect', 'sink.parallelism' = '2');
INSERT INTO totals SELECT auction, SUM(price) FROM bids GROUP BY auction;
