-- Filter push-down through interval, window and event-time temporal joins
-- (pushdown.go), results: the rows without push-down
-- (TestJoinFilterPushDownSameRows). A conjunct over the versioned table of
-- a temporal join never moves (as Flink, FLINK-28988): pushed into urates,
-- u.rate > 1.1 would drop EUR's version 1.0 of 00:00:05 (an upsert, no -U
-- before it), and order 2 (00:00:05) would join the older 1.2 instead of
-- nothing.
CREATE TABLE iorders (id BIGINT, item STRING, ots TIMESTAMP(3), WATERMARK FOR ots AS ots - INTERVAL '5' SECOND)
  WITH ('connector' = 'values');
CREATE TABLE shipments (order_id BIGINT, carrier STRING, sts TIMESTAMP(3), WATERMARK FOR sts AS sts - INTERVAL '5' SECOND)
  WITH ('connector' = 'values');
CREATE TABLE lt (row_time TIMESTAMP(3), num INT, id STRING, WATERMARK FOR row_time AS row_time - INTERVAL '1' MINUTE) WITH ('connector' = 'values');
CREATE TABLE rt (row_time TIMESTAMP(3), num INT, id STRING, WATERMARK FOR row_time AS row_time - INTERVAL '1' MINUTE) WITH ('connector' = 'values');
CREATE TABLE torders (id BIGINT, cur STRING, amount INT, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE rates (code STRING, rate DOUBLE, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND,
    PRIMARY KEY (code) NOT ENFORCED) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE urates (code STRING, rate DOUBLE, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND,
    PRIMARY KEY (code) NOT ENFORCED) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE out (q STRING, a STRING, b STRING) WITH ('connector' = 'collect');
CREATE VIEW l AS SELECT * FROM TABLE(TUMBLE(TABLE lt, DESCRIPTOR(row_time), INTERVAL '5' MINUTES));
CREATE VIEW r AS SELECT * FROM TABLE(TUMBLE(TABLE rt, DESCRIPTOR(row_time), INTERVAL '5' MINUTES));

EXECUTE STATEMENT SET BEGIN
-- Interval join: o.item <> 'pear' into iorders, s.carrier <> 'late' into shipments.
INSERT INTO out SELECT 'interval', o.item, s.carrier
FROM iorders o, shipments s
WHERE o.id = s.order_id AND s.sts BETWEEN o.ots AND o.ots + INTERVAL '10' SECOND AND s.carrier <> 'late' AND o.item <> 'pear';
-- Inner window join: l.num > 1 into l, r.id <> 'R4' into r.
INSERT INTO out SELECT 'window', l.id, r.id
FROM l JOIN r ON l.num = r.num AND l.window_start = r.window_start AND l.window_end = r.window_end
WHERE l.num > 1 AND r.id <> 'R4';
-- RIGHT window join: ON l.id <> 'L3' into l (null-generating), WHERE r.num > 2 into r.
INSERT INTO out SELECT 'window-right', l.id, r.id
FROM l RIGHT JOIN r ON l.num = r.num AND l.window_start = r.window_start AND l.window_end = r.window_end AND l.id <> 'L3'
WHERE r.num > 2;
-- Temporal join: o.amount > 5 into torders; r.rate > 1.1 stays above.
INSERT INTO out SELECT 'temporal', CAST(o.id AS STRING), CAST(r.rate AS STRING)
FROM torders AS o
JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.code
WHERE o.amount > 5 AND r.rate > 1.1;
INSERT INTO out SELECT 'temporal-upsert', CAST(o.id AS STRING), CAST(u.rate AS STRING)
FROM torders AS o
JOIN urates FOR SYSTEM_TIME AS OF o.ts AS u ON o.cur = u.code
WHERE u.rate > 1.1;
-- LEFT temporal join: ON r.rate > 1.1 stays in the join (never into the
-- versioned table), ON o.amount > 5 too (the preserved side).
INSERT INTO out SELECT 'temporal-left', CAST(o.id AS STRING), CAST(r.rate AS STRING)
FROM torders AS o
LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.code AND r.rate > 1.1 AND o.amount > 5;
END;
