-- EXPLAIN of outer interval joins: the issue's LEFT join into an
-- append-only CSV file is an IntervalJoin (changelog=[I]) with the time
-- bounds of o.ts - u.ts, qualified as written; the residual condition
-- stays in the join. DESCRIBE: the time column of the side never padded
-- stays a time attribute (a window may follow: Restamp), the padded
-- side's is a plain TIMESTAMP; a FULL join keeps none.
CREATE TABLE orders (id BIGINT, `user` STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE users (name STRING, city STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE out (id BIGINT, city STRING) WITH ('connector' = 'filesystem', 'path' = '$CASE_DIR/out', 'format' = 'csv');
CREATE TABLE counts (ws TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO out SELECT o.id, u.city FROM orders o LEFT JOIN users u
  ON o.`user` = u.name AND o.ts BETWEEN u.ts - INTERVAL '5' SECOND AND u.ts + INTERVAL '5' SECOND AND u.city <> 'x';
CREATE VIEW lj AS SELECT o.id, o.ts AS ots, u.ts AS uts FROM orders o LEFT JOIN users u
  ON o.`user` = u.name AND o.ts BETWEEN u.ts - INTERVAL '5' SECOND AND u.ts + INTERVAL '5' SECOND;
DESCRIBE lj;
CREATE VIEW fj AS SELECT o.id, o.ts AS ots, u.ts AS uts FROM orders o FULL JOIN users u
  ON o.`user` = u.name AND u.ts > o.ts AND u.ts < o.ts + INTERVAL '1' MINUTE;
DESCRIBE fj;
EXPLAIN INSERT INTO counts SELECT window_start, COUNT(*)
  FROM TABLE(TUMBLE(TABLE lj, DESCRIPTOR(ots), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;
