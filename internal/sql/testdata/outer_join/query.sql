-- Regular outer joins over changelog inputs: a row without a partner is
-- emitted padded with NULLs and retracted (-D) when a partner arrives; a
-- retracted partner brings the padded row back (+I). Order 3 loses its
-- shipment, order 4 is deleted, shipment 5 has no order. The residual ON
-- condition (weight < 10) is part of the match. With a state TTL.
SET 'table.exec.state.ttl' = '1 h';
CREATE TABLE orders (id BIGINT, item STRING) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE shipments (order_id BIGINT, carrier STRING, weight INT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE left_out (id BIGINT, item STRING, carrier STRING) WITH ('connector' = 'collect');
CREATE TABLE right_out (id BIGINT, item STRING, order_id BIGINT, carrier STRING) WITH ('connector' = 'collect');
CREATE TABLE full_out (id BIGINT, order_id BIGINT, carrier STRING) WITH ('connector' = 'collect');
CREATE TABLE light (id BIGINT, carrier STRING) WITH ('connector' = 'collect');
CREATE TABLE per_item (item STRING, shipments BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO left_out SELECT o.id, o.item, s.carrier FROM orders o LEFT JOIN shipments s ON o.id = s.order_id;
INSERT INTO right_out SELECT o.id, o.item, s.order_id, s.carrier FROM orders o RIGHT OUTER JOIN shipments s ON o.id = s.order_id;
INSERT INTO full_out SELECT o.id, s.order_id, s.carrier FROM orders o FULL JOIN shipments s ON o.id = s.order_id;
INSERT INTO light SELECT o.id, s.carrier FROM orders o LEFT JOIN shipments s ON o.id = s.order_id AND s.weight < 10 WHERE o.id < 4;
INSERT INTO per_item SELECT o.item, COUNT(s.carrier) FROM orders o LEFT JOIN shipments s ON o.id = s.order_id GROUP BY o.item;
END;
