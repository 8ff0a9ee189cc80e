-- A changelog source (rows with "op"): the filter passes the kinds, the
-- aggregation retracts, the global count has no key.
CREATE TABLE accounts (id BIGINT, region STRING, balance BIGINT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE per_region (region STRING, n BIGINT, total BIGINT) WITH ('connector' = 'collect');
CREATE TABLE everything (n BIGINT, top BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO per_region SELECT region, COUNT(*), SUM(balance) FROM accounts WHERE balance >= 0 GROUP BY region;
INSERT INTO everything SELECT COUNT(*), MAX(balance) FROM accounts;
END;
