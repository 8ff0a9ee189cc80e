-- The Orders table of Flink's DataGen documentation, as pasted, plus
-- 'number-of-rows' and 'seed' so that the case ends and is deterministic:
-- every column random with the defaults (DECIMAL over its whole range,
-- STRING of 100 hex digits, a ROW's fields each random, TIMESTAMP the
-- job's processing time).
CREATE TABLE Orders (
    order_number BIGINT,
    price        DECIMAL(32,2),
    buyer        ROW<first_name STRING, last_name STRING>,
    order_time   TIMESTAMP(3)
) WITH (
    'connector' = 'datagen',
    'number-of-rows' = '5',
    'seed' = '2024'
);
CREATE TABLE out (order_number BIGINT, price DECIMAL(32,2), first_name STRING, order_time TIMESTAMP(3))
    WITH ('connector' = 'collect');
INSERT INTO out SELECT order_number, price, buyer.first_name, order_time FROM Orders;
