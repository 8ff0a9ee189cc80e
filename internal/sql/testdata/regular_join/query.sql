-- A regular inner join (no time bounds: both sides in keyed state), with
-- a residual condition, feeding an aggregation.
CREATE TABLE orders (id BIGINT, item STRING, ots TIMESTAMP(3), WATERMARK FOR ots AS ots) WITH ('connector' = 'values');
CREATE TABLE shipments (order_id BIGINT, carrier STRING, sts TIMESTAMP(3), WATERMARK FOR sts AS sts) WITH ('connector' = 'values');
CREATE TABLE pairs (id BIGINT, item STRING, carrier STRING) WITH ('connector' = 'collect');
CREATE TABLE per_carrier (carrier STRING, n BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO pairs SELECT o.id, o.item, s.carrier FROM orders o JOIN shipments s ON o.id = s.order_id WHERE s.sts > o.ots;
INSERT INTO per_carrier SELECT carrier, COUNT(*) FROM orders, shipments WHERE id = order_id GROUP BY carrier;
END;
