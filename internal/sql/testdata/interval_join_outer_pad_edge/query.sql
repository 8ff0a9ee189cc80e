-- Review case: a LEFT interval join whose padded row (order 1 at 19.999) is
-- emitted when the input watermark passes exactly 24.999 + 1 ms; the output
-- watermark must be held back one more millisecond, or the padded row lands
-- on it and the 10 s window over it drops it as late.
CREATE TABLE orders (id BIGINT, usr STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values', 'one-per-read' = 'true');
CREATE TABLE pays (pid BIGINT, usr STRING, amount BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'values', 'one-per-read' = 'true');
CREATE TABLE out (ws TIMESTAMP(3), n BIGINT, paid BIGINT) WITH ('connector' = 'collect');

CREATE VIEW lj AS
SELECT o.id, o.ts, p.pid FROM orders o LEFT JOIN pays p
  ON o.usr = p.usr AND o.ts BETWEEN p.ts - INTERVAL '5' SECOND AND p.ts + INTERVAL '5' SECOND;

INSERT INTO out
SELECT window_start, COUNT(*), COUNT(pid)
FROM TABLE(TUMBLE(TABLE lj, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
