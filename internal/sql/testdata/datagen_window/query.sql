-- A window aggregation over a datagen table with WATERMARK FOR: the
-- event time is random in [now - 20 s, now] of the job's clock (a manual
-- one, file "clock"); the watermark's 20 s delay leaves no row late.
CREATE TABLE Bid (
    bidtime TIMESTAMP(3),
    price DECIMAL(10, 2),
    item STRING,
    WATERMARK FOR bidtime AS bidtime - INTERVAL '20' SECOND
) WITH (
    'connector' = 'datagen',
    'number-of-rows' = '500',
    'seed' = '1',
    'fields.bidtime.max-past' = '20 s',
    'fields.price.min' = '1',
    'fields.price.max' = '10',
    'fields.item.length' = '1'
);
CREATE TABLE out (window_start TIMESTAMP(3), window_end TIMESTAMP(3), total DECIMAL(38, 2), n BIGINT)
    WITH ('connector' = 'collect');
INSERT INTO out
SELECT window_start, window_end, SUM(price), COUNT(*)
FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' SECOND))
GROUP BY window_start, window_end;
