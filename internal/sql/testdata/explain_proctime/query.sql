-- Processing time: a PROCTIME() computed column, DESCRIBE, and window
-- aggregations over processing-time attributes (TVF and group window).
CREATE TABLE t (k STRING, v BIGINT, p AS PROCTIME()) WITH ('connector' = 'values');
CREATE VIEW w AS SELECT k, v, PROCTIME() AS q FROM t;
DESCRIBE t;
DESCRIBE w;
EXPLAIN SELECT k, COUNT(*), window_start, window_end
FROM TABLE(HOP(TABLE w, DESCRIPTOR(q), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY k, window_start, window_end;
EXPLAIN SELECT k, SUM(v), SESSION_START(p, INTERVAL '1' MINUTE)
FROM t GROUP BY k, SESSION(p, INTERVAL '1' MINUTE);
EXPLAIN SELECT k, v FROM t ORDER BY p;
EXPLAIN SELECT k, window_start, window_end FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(p), INTERVAL '10' SECOND));
