CREATE TABLE orders (id BIGINT, item STRING, ots TIMESTAMP(3), WATERMARK FOR ots AS ots) WITH ('connector' = 'values');
CREATE TABLE shipments (order_id BIGINT, carrier STRING, sts TIMESTAMP(3), WATERMARK FOR sts AS sts) WITH ('connector' = 'values');
EXPLAIN SELECT o.id, s.carrier
FROM orders AS o JOIN shipments AS s ON o.id = s.order_id AND o.ots >= s.sts - INTERVAL '1' MINUTE AND o.ots < s.sts;
