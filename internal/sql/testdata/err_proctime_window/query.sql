-- A processing-time window table function is only aggregated.
CREATE TABLE t (k STRING, v BIGINT, p AS PROCTIME()) WITH ('connector' = 'values');
SELECT k, window_start FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(p), INTERVAL '10' SECOND));
