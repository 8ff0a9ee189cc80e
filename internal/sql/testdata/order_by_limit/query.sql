-- ORDER BY ... LIMIT n is a Top-N without partition (updating; the final
-- state is the first n rows of the order); LIMIT n alone keeps the first n
-- rows to arrive; LIMIT n OFFSET m the ranks m+1..m+n; ORDER BY names
-- result columns by name or position.
CREATE TABLE t (k STRING, v INT) WITH ('connector' = 'values');
CREATE TABLE top3 (k STRING, v INT) WITH ('connector' = 'collect');
CREATE TABLE first2 (k STRING, v INT) WITH ('connector' = 'collect');
CREATE TABLE low2 (name STRING, total INT) WITH ('connector' = 'collect');
INSERT INTO top3 SELECT k, v FROM t ORDER BY v DESC LIMIT 3;
INSERT INTO first2 SELECT k, v FROM t LIMIT 2;
INSERT INTO low2 SELECT k AS name, SUM(v) AS total FROM t GROUP BY k ORDER BY 2, name LIMIT 2;
CREATE TABLE next2 (k STRING, v INT) WITH ('connector' = 'collect');
INSERT INTO next2 SELECT k, v FROM t ORDER BY v DESC LIMIT 2 OFFSET 1;
