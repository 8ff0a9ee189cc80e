-- `ON l.k IS NOT DISTINCT FROM r.k` is a NULL-safe equi-join key: a NULL
-- key pairs with the other side's NULL key (join_null_keys is the same data
-- with `=`, where it pairs with nothing). Every kind of equi-join: regular
-- inner, left and full outer, interval, window inner, and a key of both
-- kinds (k null-safe, a = b never true here, so nothing joins).
CREATE TABLE l (k BIGINT, a STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE r (k BIGINT, b STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE inner_out (a STRING, b STRING) WITH ('connector' = 'collect');
CREATE TABLE left_out (a STRING, b STRING) WITH ('connector' = 'collect');
CREATE TABLE full_out (a STRING, b STRING) WITH ('connector' = 'collect');
CREATE TABLE interval_out (a STRING, b STRING) WITH ('connector' = 'collect');
CREATE TABLE window_out (a STRING, b STRING) WITH ('connector' = 'collect');
CREATE TABLE mixed_out (a STRING, b STRING) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO inner_out SELECT l.a, r.b FROM l JOIN r ON l.k IS NOT DISTINCT FROM r.k;
INSERT INTO left_out SELECT l.a, r.b FROM l LEFT JOIN r ON r.k IS NOT DISTINCT FROM l.k;
INSERT INTO full_out SELECT l.a, r.b FROM l FULL JOIN r ON l.k IS NOT DISTINCT FROM r.k;
INSERT INTO interval_out SELECT l.a, r.b FROM l, r WHERE l.k IS NOT DISTINCT FROM r.k AND r.ts BETWEEN l.ts - INTERVAL '5' SECOND AND l.ts + INTERVAL '5' SECOND;
INSERT INTO window_out SELECT L.a, R.b FROM (SELECT * FROM TABLE(TUMBLE(TABLE l, DESCRIPTOR(ts), INTERVAL '10' SECOND))) L JOIN (SELECT * FROM TABLE(TUMBLE(TABLE r, DESCRIPTOR(ts), INTERVAL '10' SECOND))) R ON L.k IS NOT DISTINCT FROM R.k AND L.window_start = R.window_start AND L.window_end = R.window_end;
INSERT INTO mixed_out SELECT l.a, r.b FROM l LEFT JOIN r ON l.k IS NOT DISTINCT FROM r.k AND l.a = r.b;
END;
