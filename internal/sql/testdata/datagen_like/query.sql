-- Flink's DataGen documentation: "a table of random rows shaped like an
-- existing table" with CREATE TABLE ... LIKE, EXCLUDING ALL leaving out
-- the filesystem table's options, watermark and partitioning (its
-- physical columns are always copied), plus 'seed' so that the case is
-- deterministic.
CREATE TABLE Orders (
    order_number BIGINT,
    price        DECIMAL(32,2),
    buyer        ROW<first_name STRING, last_name STRING>,
    order_time   TIMESTAMP(3),
    WATERMARK FOR order_time AS order_time - INTERVAL '5' SECOND
) PARTITIONED BY (order_number) WITH (
    'connector' = 'filesystem',
    'path' = '/nonexistent/orders',
    'format' = 'json'
);
CREATE TEMPORARY TABLE GenOrders
WITH (
    'connector' = 'datagen',
    'number-of-rows' = '5',
    'seed' = '2024'
)
LIKE Orders (EXCLUDING ALL);
SHOW CREATE TABLE GenOrders;
CREATE TABLE out (order_number BIGINT, price DECIMAL(32,2), first_name STRING, order_time TIMESTAMP(3))
    WITH ('connector' = 'collect');
INSERT INTO out SELECT order_number, price, buyer.first_name, order_time FROM GenOrders;
