-- A computed column replaces only a computed column.
CREATE TABLE orders (id BIGINT, price INT, ts TIMESTAMP(3), total AS price * 2, WATERMARK FOR ts AS ts, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'values');
CREATE TABLE t2 (ts AS CAST(NULL AS TIMESTAMP(3))) LIKE orders (OVERWRITING GENERATED);
