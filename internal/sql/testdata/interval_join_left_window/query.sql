-- A window over the left time column of a LEFT interval join (the data of
-- interval_join_left in time order, one row per read): the padded rows
-- leave the join when the watermark passes their time + 5 s, and the join
-- holds its watermark back by 5 s, so the window [10 s, 20 s) still counts
-- orders 2 (15 s) and 3 (16 s). 7 rows there, 5 of them with a payment
-- (orders 1 and 6: 2 and 3 pairs); 2 in [20 s, 30 s), both padded.
CREATE TABLE orders (id BIGINT, usr STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values', 'one-per-read' = 'true');
CREATE TABLE pays (pid BIGINT, usr STRING, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values', 'one-per-read' = 'true');
CREATE TABLE out (ws TIMESTAMP(3), n BIGINT, paid BIGINT) WITH ('connector' = 'collect');

CREATE VIEW lj AS
SELECT o.id, o.ts, p.pid FROM orders o LEFT JOIN pays p
  ON o.usr = p.usr AND o.ts BETWEEN p.ts - INTERVAL '5' SECOND AND p.ts + INTERVAL '5' SECOND AND p.amount > 0;

INSERT INTO out
SELECT window_start, COUNT(*), COUNT(pid)
FROM TABLE(TUMBLE(TABLE lj, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
