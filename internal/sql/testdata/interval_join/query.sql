-- An interval join: shipments within 10 s after their order (comma join,
-- conditions in WHERE; the condition on the carrier stays a filter).
CREATE TABLE orders (id BIGINT, item STRING, ots TIMESTAMP(3), WATERMARK FOR ots AS ots - INTERVAL '5' SECOND)
  WITH ('connector' = 'values');
CREATE TABLE shipments (order_id BIGINT, carrier STRING, sts TIMESTAMP(3), WATERMARK FOR sts AS sts - INTERVAL '5' SECOND)
  WITH ('connector' = 'values');
CREATE TABLE out (id BIGINT, item STRING, carrier STRING, ots TIMESTAMP(3), sts TIMESTAMP(3)) WITH ('connector' = 'collect');

INSERT INTO out
SELECT o.id, o.item, s.carrier, o.ots, s.sts
FROM orders o, shipments s
WHERE o.id = s.order_id AND s.sts BETWEEN o.ots AND o.ots + INTERVAL '10' SECOND AND s.carrier <> 'none';
