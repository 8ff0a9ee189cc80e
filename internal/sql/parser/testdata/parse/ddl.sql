-- Tables with every kind of column, constraint and option.
CREATE TEMPORARY TABLE IF NOT EXISTS cat.db.orders (
    order_id BIGINT NOT NULL,
    price DECIMAL(10, 2),
    qty INT,
    note VARCHAR(200) COMMENT 'free text',
    code CHAR(3),
    tags ARRAY<STRING>,
    attrs MAP<STRING, ARRAY<INT>>,
    customer ROW<id BIGINT, name STRING 'the name', address ROW<city STRING, zip STRING>>,
    legacy ROW(a INT, b DOUBLE),
    ok BOOLEAN,
    ratio DOUBLE PRECISION,
    f FLOAT,
    d DATE,
    t TIME(3),
    ts TIMESTAMP(3),
    ts_tz TIMESTAMP(6) WITH LOCAL TIME ZONE,
    ltz TIMESTAMP_LTZ(3),
    total AS price * qty,
    proc AS PROCTIME(),
    `partition` BIGINT METADATA VIRTUAL,
    kafka_ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
    headers MAP<STRING, BYTES> METADATA FROM 'headers' VIRTUAL,
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
    CONSTRAINT pk PRIMARY KEY (order_id) NOT ENFORCED
) COMMENT 'orders from kafka'
PARTITIONED BY (d)
WITH (
    'connector' = 'kafka',
    'topic' = 'orders',
    'properties.bootstrap.servers' = 'localhost:9092',
    'format' = 'json',
    'json.ignore-parse-errors' = 'true'
);

CREATE TABLE users (
    id BIGINT PRIMARY KEY NOT ENFORCED,
    name STRING
) WITH ('connector' = 'journal', 'format' = 'avro');

CREATE TABLE copy WITH ('connector' = 'print') AS SELECT * FROM users;

-- LIKE (Flink's): the options are separated by blanks.
CREATE TEMPORARY TABLE orders_kafka (
    extra STRING,
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH ('connector' = 'kafka', 'topic' = 'o')
LIKE cat.db.orders (
    EXCLUDING ALL
    INCLUDING GENERATED
    OVERWRITING WATERMARKS
    overwriting options
    EXCLUDING METADATA
    INCLUDING CONSTRAINTS
    EXCLUDING PARTITIONS
);

CREATE TABLE gen WITH ('connector' = 'datagen') LIKE users;

CREATE TABLE plain LIKE users (INCLUDING ALL);

CREATE VIEW big_orders (id, amount) AS
SELECT order_id, price * qty FROM orders WHERE price * qty > 100;

CREATE TEMPORARY VIEW IF NOT EXISTS v AS VALUES (1, 'a'), (2, 'b');

CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS my_fn AS 'com.example.MyFn' LANGUAGE JAVA;

DROP TABLE IF EXISTS orders;
DROP TEMPORARY VIEW v;
DROP FUNCTION db.my_fn;
CREATE OR REPLACE TABLE snapshot WITH ('connector' = 'print') AS SELECT id, name FROM users;
