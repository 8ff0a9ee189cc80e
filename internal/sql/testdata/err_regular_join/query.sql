CREATE TABLE orders (id BIGINT, item STRING, ots TIMESTAMP(3), WATERMARK FOR ots AS ots) WITH ('connector' = 'values');
CREATE TABLE shipments (order_id BIGINT, carrier STRING, sts TIMESTAMP(3), WATERMARK FOR sts AS sts) WITH ('connector' = 'values');
SELECT o.id, s.carrier FROM orders o JOIN shipments s ON o.id = s.order_id;
