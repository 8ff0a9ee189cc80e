CREATE TABLE orders (id BIGINT, item STRING) WITH ('connector' = 'values');
CREATE TABLE shipments (order_id BIGINT, carrier STRING) WITH ('connector' = 'values');
CREATE TABLE out (id BIGINT, carrier STRING) WITH ('connector' = 'collect', 'append-only' = 'true');
INSERT INTO out SELECT o.id, s.carrier FROM orders o LEFT JOIN shipments s ON o.id = s.order_id;
