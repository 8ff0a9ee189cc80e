-- Regular GROUP BY: an updating changelog from keyed state, also over an
-- updating input (the counts of the counts), two sinks in one statement set.
CREATE TABLE bids (auction BIGINT, bidder STRING, price BIGINT) WITH ('connector' = 'values');
CREATE TABLE per_bidder (bidder STRING, n BIGINT, total BIGINT, top BIGINT) WITH ('connector' = 'collect');
CREATE TABLE histogram (n BIGINT, bidders BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO per_bidder SELECT bidder, COUNT(*), SUM(price), MAX(price) FROM bids GROUP BY bidder;
INSERT INTO histogram
SELECT n, COUNT(*) FROM (SELECT bidder, COUNT(*) AS n FROM bids GROUP BY bidder) GROUP BY n;
END;
