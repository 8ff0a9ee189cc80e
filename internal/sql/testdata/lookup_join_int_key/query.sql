-- Lookup joins on one integer key (the index by int64, no encoded key:
-- q13's MOD(auction, 10000) = key): an INT expression of the left row
-- against a BIGINT column, several rows per key, a NULL key on either
-- side (matches nothing), INNER and LEFT with a residual condition.
CREATE TABLE bids (id BIGINT, auction INT, p AS PROCTIME()) WITH ('connector' = 'values');
CREATE TABLE side (k BIGINT, v STRING) WITH ('connector' = 'values');
CREATE TABLE inner_out (id BIGINT, v STRING) WITH ('connector' = 'collect');
CREATE TABLE left_out (id BIGINT, k BIGINT, v STRING) WITH ('connector' = 'collect');

INSERT INTO inner_out
SELECT b.id, s.v
FROM bids AS b
JOIN side FOR SYSTEM_TIME AS OF b.p AS s ON MOD(b.auction, 10) = s.k;

INSERT INTO left_out
SELECT b.id, s.k, s.v
FROM bids AS b
LEFT JOIN side FOR SYSTEM_TIME AS OF b.p AS s ON MOD(b.auction, 10) = s.k AND s.v <> 'skip';
