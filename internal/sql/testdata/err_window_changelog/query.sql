CREATE TABLE accounts (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE out (n BIGINT) WITH ('connector' = 'collect', 'append-only' = 'true');
INSERT INTO out SELECT COUNT(*) FROM TABLE(TUMBLE(TABLE accounts, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end;
