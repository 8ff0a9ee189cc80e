-- Nexmark q0, q1, q2 in the spec's SQL (internal/nexmark/sql),
-- the source table reading input/nexmark.jsonl.
-- include: nexmark_source.sql

-- include-nexmark: q0

-- include-nexmark: q1

-- include-nexmark: q2

-- The counting half of q5 (its join is not supported yet): bids per
-- auction in sliding windows over the bid view.
CREATE TABLE nexmark_hot (auction BIGINT, num BIGINT, starttime TIMESTAMP(3), endtime TIMESTAMP(3)) WITH ('connector' = 'collect');

INSERT INTO nexmark_hot
SELECT auction, COUNT(*) AS num, window_start AS starttime, window_end AS endtime
FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY auction, window_start, window_end;
