CREATE TABLE orders (id BIGINT, item STRING, ots TIMESTAMP(3), WATERMARK FOR ots AS ots) WITH ('connector' = 'values');
CREATE TABLE shipments (order_id BIGINT, carrier STRING, sts TIMESTAMP(3), WATERMARK FOR sts AS sts) WITH ('connector' = 'values');
-- An outer join is a regular join (updating: padded rows are retracted),
-- its residual ON condition part of the join, WHERE after it.
EXPLAIN SELECT o.id, s.carrier
FROM orders AS o FULL OUTER JOIN shipments AS s ON o.id = s.order_id AND s.sts > o.ots
WHERE o.item <> 'x';
