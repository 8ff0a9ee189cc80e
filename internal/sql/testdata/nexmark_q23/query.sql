-- Nexmark q23 in the spec's SQL: a three-way join (nested binary regular joins).
-- include: nexmark_source.sql

-- q23: multi-way join. Bids with the person who made them and the auctions
-- that person sells.
CREATE TABLE nexmark_q23 (
    auction BIGINT,
    bidder BIGINT,
    price BIGINT,
    person_name VARCHAR,
    item_name VARCHAR
) WITH ('connector' = 'collect');

INSERT INTO nexmark_q23
SELECT B.auction, B.bidder, B.price, P.name, A.itemName
FROM bid AS B
JOIN person AS P ON P.id = B.bidder
JOIN auction AS A ON A.seller = B.bidder;
