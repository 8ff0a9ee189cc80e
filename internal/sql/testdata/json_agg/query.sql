-- JSON_OBJECTAGG and JSON_ARRAYAGG over an updating input (a changelog
-- source: a retraction takes the key, or the earliest equal item, back)
-- and in a TUMBLE window. JSON_ARRAYAGG leaves NULLs out by default
-- (ABSENT ON NULL), JSON_OBJECTAGG keeps them (NULL ON NULL); a nested
-- JSON_OBJECT is inserted as JSON. Objects come out with their keys sorted
-- (Flink's serializeJson); JSON_ARRAYAGG keeps arrival order.
CREATE TABLE stock (sku STRING NOT NULL, shop STRING, qty INT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE orders (shop STRING, item STRING, qty INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
CREATE TABLE per_shop (shop STRING, qtys STRING, items STRING) WITH ('connector' = 'collect');
CREATE TABLE per_window (shop STRING, window_start TIMESTAMP(3), lines STRING, n STRING) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO per_shop
SELECT shop, JSON_OBJECTAGG(KEY sku VALUE qty), JSON_ARRAYAGG(JSON_OBJECT('sku' VALUE sku, 'qty' VALUE qty))
FROM stock GROUP BY shop;
INSERT INTO per_window
SELECT shop, window_start, JSON_ARRAYAGG(item), JSON_ARRAYAGG(qty NULL ON NULL)
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY shop, window_start, window_end;
END;
