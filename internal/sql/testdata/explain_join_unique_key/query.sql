-- The regular inner join's unique mode (planner/uniquekey.go, shown as
-- uniqueKey=[left] or [right]): one input is insert-only and has a unique
-- key within its join keys, so the other side's rows are kept only until
-- their key's row has come. The keys come from a connector that states
-- them (the test connector's 'unique-key'; the nexmark connector's
-- auction.id among the rows with event_type = 1), through a view's filter
-- and renaming projection; every other join keeps the general mode, also
-- one whose side only declares a PRIMARY KEY NOT ENFORCED (an insert-only
-- table with one is a versioned table: many rows per key).
CREATE TABLE items (id BIGINT NOT NULL, kind INT, name STRING) WITH ('connector' = 'values', 'unique-key' = 'id');
CREATE TABLE sales (item BIGINT, price BIGINT, note STRING) WITH ('connector' = 'values');
CREATE TABLE pairs (a BIGINT NOT NULL, b BIGINT NOT NULL, v STRING) WITH ('connector' = 'values', 'unique-key' = 'a, b');
CREATE TABLE items_cl (id BIGINT NOT NULL, kind INT, name STRING, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'values', 'changelog' = 'true', 'unique-key' = 'id');
CREATE TABLE items_pk (id BIGINT NOT NULL, kind INT, name STRING, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'values');
CREATE VIEW kind1 AS SELECT id AS item_id, name FROM items WHERE kind = 1;
-- A PRIMARY KEY NOT ENFORCED alone: general.
EXPLAIN SELECT s.price, i.name FROM sales AS s, items_pk AS i WHERE s.item = i.id;
-- The stated key through a view: the left side.
EXPLAIN SELECT k.name, s.price FROM kind1 AS k JOIN sales AS s ON k.item_id = s.item WHERE s.price > 10;
-- On the right.
EXPLAIN SELECT s.price, i.name FROM sales AS s, items AS i WHERE s.item = i.id;
-- A LEFT join: the general mode.
EXPLAIN SELECT i.name, s.price FROM items AS i LEFT JOIN sales AS s ON i.id = s.item;
-- Join keys without all of the key's columns: general; with them: unique.
EXPLAIN SELECT p.v, s.note FROM pairs AS p JOIN sales AS s ON p.a = s.item;
EXPLAIN SELECT p.v, s.note FROM pairs AS p JOIN sales AS s ON p.a = s.item AND p.b = s.price;
-- The other side updating (a GROUP BY): general.
EXPLAIN SELECT i.name, m.top FROM items AS i JOIN (SELECT item, MAX(price) AS top FROM sales GROUP BY item) AS m ON i.id = m.item;
-- The key's side a changelog (its primary key is its update key): general.
EXPLAIN SELECT i.name, s.price FROM items_cl AS i JOIN sales AS s ON i.id = s.item;
-- A key that is not the projected column (the name): general.
EXPLAIN SELECT k.name, s.note FROM kind1 AS k JOIN sales AS s ON k.name = s.note;
-- A window aggregation's keys and window bounds.
CREATE TABLE clicks (item BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE marks (item BIGINT, ws TIMESTAMP(3), we TIMESTAMP(3)) WITH ('connector' = 'values');
EXPLAIN SELECT m.item, w.c FROM marks AS m JOIN (SELECT item, window_start, window_end, COUNT(*) AS c FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY item, window_start, window_end) AS w ON m.item = w.item AND m.ws = w.window_start AND m.we = w.window_end;
-- Without window_end among the join keys: general.
EXPLAIN SELECT m.item, w.c FROM marks AS m JOIN (SELECT item, window_start, window_end, COUNT(*) AS c FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY item, window_start, window_end) AS w ON m.item = w.item AND m.ws = w.window_start;
-- Nexmark: the auction view (event_type = 1, auction.id AS id) is unique.
CREATE TABLE nexmark (
    event_type INT,
    person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR, city VARCHAR, state VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR>,
    auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT, reserve BIGINT, dateTime TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR>,
    bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, dateTime TIMESTAMP(3), extra VARCHAR>,
    dateTime AS CASE WHEN event_type = 0 THEN person.dateTime WHEN event_type = 1 THEN auction.dateTime ELSE bid.dateTime END,
    WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'events.num' = '1000');
CREATE VIEW auction AS SELECT auction.id, auction.seller, dateTime, auction.expires FROM nexmark WHERE event_type = 1;
CREATE VIEW bid AS SELECT bid.auction, bid.price, dateTime FROM nexmark WHERE event_type = 2;
-- Without the event_type filter (auction.id of every row: NULL for persons and bids, not unique).
CREATE VIEW any_auction AS SELECT auction.id, auction.seller, dateTime, auction.expires FROM nexmark;
-- The wrong tag.
CREATE VIEW bid_auction AS SELECT auction.id, auction.seller, dateTime, auction.expires FROM nexmark WHERE event_type = 2;
EXPLAIN SELECT A.id, A.seller, B.price FROM auction A, bid B WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires;
EXPLAIN SELECT A.id, A.seller, B.price FROM any_auction A, bid B WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires;
EXPLAIN SELECT A.id, A.seller, B.price FROM bid_auction A, bid B WHERE A.id = B.auction;
-- person.id among event_type = 0 joined with the auctions' sellers: unique on the right.
EXPLAIN SELECT A.id, P.name FROM auction A JOIN (SELECT person.id, person.name FROM nexmark WHERE event_type = 0) P ON A.seller = P.id;
