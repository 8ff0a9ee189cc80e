CREATE TABLE sales (supplier STRING, product STRING, price INT) WITH ('connector' = 'values');
CREATE TABLE out (supplier STRING, g BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT supplier, GROUPING(product) FROM sales GROUP BY ROLLUP (supplier);
