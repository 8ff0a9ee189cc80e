-- q23: multi-way join. Bids with the person who made them and the auctions
-- that person sells.
CREATE TABLE nexmark_q23 (
    auction BIGINT,
    bidder BIGINT,
    price BIGINT,
    person_name VARCHAR,
    item_name VARCHAR
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q23
SELECT B.auction, B.bidder, B.price, P.name, A.itemName
FROM bid AS B
JOIN person AS P ON P.id = B.bidder
JOIN auction AS A ON A.seller = B.bidder;
