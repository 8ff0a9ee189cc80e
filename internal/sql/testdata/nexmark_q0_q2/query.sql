-- Nexmark q0, q1, q2 in the spec's SQL (internal/nexmark/sql),
-- the source table reading input/nexmark.jsonl.
-- The Nexmark source: one table whose rows are a tagged union of person,
-- auction and bid (event_type 0, 1, 2), with the event time picked from the
-- member that is set and a watermark 4 seconds behind it (SPEC.md §1.1),
-- and the three views that flatten it.
-- include: nexmark_source.sql

-- q0: pass-through. Every bid goes to the sink unchanged; measures the cost
-- of source, serialisation and sink.
CREATE TABLE nexmark_q0 (
    auction BIGINT,
    bidder BIGINT,
    price BIGINT,
    dateTime TIMESTAMP(3),
    extra VARCHAR
) WITH ('connector' = 'collect');

INSERT INTO nexmark_q0
SELECT auction, bidder, price, dateTime, extra FROM bid;

-- q1: currency conversion. Bid prices from dollars to euros.
CREATE TABLE nexmark_q1 (
    auction BIGINT,
    bidder BIGINT,
    price DECIMAL(23, 3),
    dateTime TIMESTAMP(3),
    extra VARCHAR
) WITH ('connector' = 'collect');

INSERT INTO nexmark_q1
SELECT auction, bidder, 0.908 * price AS price, dateTime, extra
FROM bid;

-- q2: selection. Bids on a fixed subset of auctions.
CREATE TABLE nexmark_q2 (
    auction BIGINT,
    price BIGINT
) WITH ('connector' = 'collect');

INSERT INTO nexmark_q2
SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;

-- The counting half of q5 (its join is not supported yet): bids per
-- auction in sliding windows over the bid view.
CREATE TABLE nexmark_hot (auction BIGINT, num BIGINT, starttime TIMESTAMP(3), endtime TIMESTAMP(3)) WITH ('connector' = 'collect');

INSERT INTO nexmark_hot
SELECT auction, COUNT(*) AS num, window_start AS starttime, window_end AS endtime
FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end;
