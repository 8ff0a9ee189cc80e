-- IN and EXISTS as values (under OR, in the select list): mark joins, as
-- Flink plans them: every row with the value of its IN / EXISTS, updated
-- (-U/+U) when the subquery's rows change it. SQL's three-valued IN: TRUE
-- when a value equals, else NULL when the subquery has a NULL (the order
-- without cid) or the value is NULL, else FALSE.
CREATE TABLE customers (id BIGINT, name STRING, region STRING) WITH ('connector' = 'values');
CREATE TABLE orders (cid BIGINT, amount INT, region STRING) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE banned (region STRING NOT NULL) WITH ('connector' = 'values');
CREATE TABLE buyers_or_mars (id BIGINT, name STRING) WITH ('connector' = 'collect');
CREATE TABLE flags (id BIGINT, bought BOOLEAN, ok BOOLEAN, big BOOLEAN) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO buyers_or_mars SELECT id, name FROM customers c WHERE region = 'mars' OR EXISTS (SELECT * FROM orders WHERE cid = c.id);
INSERT INTO flags SELECT id, id IN (SELECT cid FROM orders), region NOT IN (SELECT region FROM banned),
  EXISTS (SELECT * FROM orders o WHERE o.cid = c.id AND o.amount >= 100) FROM customers c;
END;
EXPLAIN SELECT id, id IN (SELECT cid FROM orders) FROM customers;
