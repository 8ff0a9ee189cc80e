-- INCLUDING OPTIONS (here through INCLUDING ALL): an option of both
-- tables is an error; OVERWRITING OPTIONS (the default) replaces it.
CREATE TABLE orders (id BIGINT, price INT, ts TIMESTAMP(3), total AS price * 2, WATERMARK FOR ts AS ts, PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'values');
CREATE TABLE t2 WITH ('connector' = 'collect') LIKE orders (INCLUDING ALL);
