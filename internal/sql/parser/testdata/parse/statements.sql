-- Session and catalog statements, INSERT and statement sets.
SHOW TABLES;
SHOW VIEWS;
SHOW CURRENT DATABASE;
SHOW CREATE TABLE orders;
DESCRIBE orders;
DESC cat.db.orders;
DESCRIBE EXTENDED orders;
DESC extended;
USE CATALOG my_catalog;
USE db1;
EXPLAIN SELECT 1;
EXPLAIN PLAN FOR INSERT INTO sink SELECT * FROM src;
EXPLAIN CHANGELOG_MODE, ESTIMATED_COST SELECT a FROM t;
SET 'table.exec.state.ttl' = '1 h';
SET 'execution.runtime-mode' = 'streaming';
SET;
RESET 'table.exec.state.ttl';
RESET;
INSERT INTO sink SELECT a, b FROM src;
INSERT INTO sink (a, b) SELECT x, y FROM src;
INSERT OVERWRITE part_sink PARTITION (dt = '2026-01-01', hr = 3) SELECT a FROM src;
INSERT INTO sink VALUES (1, 'one'), (2, 'two');
INSERT INTO sink (SELECT * FROM src);
EXECUTE STATEMENT SET
BEGIN
    INSERT INTO s1 SELECT * FROM src;
    INSERT INTO s2 SELECT * FROM src WHERE a > 1;
END;
BEGIN STATEMENT SET;
INSERT INTO s1 SELECT * FROM src;
INSERT INTO s2 SELECT * FROM src;
END;
