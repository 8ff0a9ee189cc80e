-- SQL's `=` is never true for NULL: a row whose join key is NULL pairs with
-- no row of the other side, also not with the other side's NULL-key rows.
-- An outer side's NULL-key row still comes out, padded with NULLs. Every
-- kind of equi-join: regular inner, left and full outer, interval, window
-- inner and left outer.
CREATE TABLE l (k BIGINT, a STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE r (k BIGINT, b STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE inner_out (a STRING, b STRING) WITH ('connector' = 'collect');
CREATE TABLE left_out (a STRING, b STRING) WITH ('connector' = 'collect');
CREATE TABLE full_out (a STRING, b STRING) WITH ('connector' = 'collect');
CREATE TABLE interval_out (a STRING, b STRING) WITH ('connector' = 'collect');
CREATE TABLE window_out (a STRING, b STRING) WITH ('connector' = 'collect');
CREATE TABLE window_left_out (a STRING, b STRING) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO inner_out SELECT l.a, r.b FROM l JOIN r ON l.k = r.k;
INSERT INTO left_out SELECT l.a, r.b FROM l LEFT JOIN r ON l.k = r.k;
INSERT INTO full_out SELECT l.a, r.b FROM l FULL JOIN r ON l.k = r.k;
INSERT INTO interval_out SELECT l.a, r.b FROM l, r WHERE l.k = r.k AND r.ts BETWEEN l.ts - INTERVAL '5' SECOND AND l.ts + INTERVAL '5' SECOND;
INSERT INTO window_out SELECT L.a, R.b FROM (SELECT * FROM TABLE(TUMBLE(TABLE l, DESCRIPTOR(ts), INTERVAL '10' SECOND))) L JOIN (SELECT * FROM TABLE(TUMBLE(TABLE r, DESCRIPTOR(ts), INTERVAL '10' SECOND))) R ON L.k = R.k AND L.window_start = R.window_start AND L.window_end = R.window_end;
INSERT INTO window_left_out SELECT L.a, R.b FROM (SELECT * FROM TABLE(TUMBLE(TABLE l, DESCRIPTOR(ts), INTERVAL '10' SECOND))) L LEFT JOIN (SELECT * FROM TABLE(TUMBLE(TABLE r, DESCRIPTOR(ts), INTERVAL '10' SECOND))) R ON L.k = R.k AND L.window_start = R.window_start AND L.window_end = R.window_end;
END;
