-- SESSION windows (gap 5 minutes): the window TVF with and without
-- PARTITION BY, and the legacy group window with SESSION_START/END (and
-- TUMBLE_START/END, HOP_START/END/ROWTIME). C's row at 08:11 comes out of order and merges its
-- sessions of 08:07 and 08:15 into one.
CREATE TABLE bids (item STRING, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE) WITH ('connector' = 'values');
CREATE TABLE per_item (item STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), total BIGINT, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE global (window_start TIMESTAMP(3), window_end TIMESTAMP(3), total BIGINT) WITH ('connector' = 'collect');
CREATE TABLE legacy (item STRING, s TIMESTAMP(3), e TIMESTAMP(3), total BIGINT) WITH ('connector' = 'collect');
CREATE TABLE legacy_tumble (s TIMESTAMP(3), e TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE legacy_hop (item STRING, s TIMESTAMP(3), e TIMESTAMP(3), r TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO per_item
SELECT item, window_start, window_end, SUM(price), COUNT(*)
FROM TABLE(SESSION(TABLE bids PARTITION BY item, DESCRIPTOR(ts), INTERVAL '5' MINUTES))
GROUP BY item, window_start, window_end;
INSERT INTO global
SELECT window_start, window_end, SUM(price)
FROM TABLE(SESSION(TABLE bids, DESCRIPTOR(ts), INTERVAL '5' MINUTES))
GROUP BY window_start, window_end;
INSERT INTO legacy
SELECT item, SESSION_START(ts, INTERVAL '5' MINUTE), SESSION_END(ts, INTERVAL '5' MINUTE), SUM(price)
FROM bids
GROUP BY item, SESSION(ts, INTERVAL '5' MINUTE);
INSERT INTO legacy_tumble
SELECT TUMBLE_START(ts, INTERVAL '10' MINUTE), TUMBLE_END(ts, INTERVAL '10' MINUTE), COUNT(*)
FROM bids
GROUP BY TUMBLE(ts, INTERVAL '10' MINUTE);
INSERT INTO legacy_hop
SELECT item, HOP_START(ts, INTERVAL '5' MINUTE, INTERVAL '10' MINUTE), HOP_END(ts, INTERVAL '5' MINUTE, INTERVAL '10' MINUTE),
  HOP_ROWTIME(ts, INTERVAL '5' MINUTE, INTERVAL '10' MINUTE), COUNT(*)
FROM bids WHERE item = 'C'
GROUP BY HOP(ts, INTERVAL '5' MINUTE, INTERVAL '10' MINUTE), item;
END;
