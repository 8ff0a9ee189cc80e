-- Result types of SUM, SUM0, AVG, MIN and MAX follow Flink
-- (LogicalTypeMerging.findSumAggType/findAvgAggType): SUM/SUM0 keep an
-- integer, FLOAT or DOUBLE type (SUM0 NOT NULL) and make DECIMAL(p, s)
-- DECIMAL(38, s); AVG keeps an integer, FLOAT or DOUBLE type and makes
-- DECIMAL(p, s) DECIMAL(38, max(6, s)); MIN/MAX keep the type. SUM of
-- FLOAT adds in float32 (0.1 + 0.2 + 0.7 is 1.0 as Java's float sum), AVG
-- of FLOAT divides a DOUBLE sum and rounds the quotient to FLOAT; SUM of
-- TINYINT wraps (100 + 100 is -56).
CREATE TABLE t (k INT, f FLOAT, ti TINYINT, si SMALLINT, d DECIMAL(5, 2), d10 DECIMAL(12, 10), db DOUBLE) WITH ('connector' = 'values');
CREATE VIEW v AS SELECT k,
  SUM(f) AS sum_f, SUM0(f) AS sum0_f, AVG(f) AS avg_f, MIN(f) AS min_f, MAX(f) AS max_f,
  SUM(ti) AS sum_ti, AVG(ti) AS avg_ti, MIN(ti) AS min_ti,
  SUM(si) AS sum_si, SUM0(si) AS sum0_si, AVG(si) AS avg_si, MAX(si) AS max_si,
  SUM(d) AS sum_d, AVG(d) AS avg_d, MIN(d) AS min_d, MAX(d) AS max_d,
  SUM(d10) AS sum_d10, AVG(d10) AS avg_d10,
  SUM(db) AS sum_db, AVG(db) AS avg_db
FROM t GROUP BY k;
DESCRIBE v;
CREATE TABLE o (k INT, sum_f FLOAT, sum0_f FLOAT, avg_f FLOAT, min_f FLOAT, max_f FLOAT, sum_ti TINYINT, avg_ti TINYINT, min_ti TINYINT,
  sum_si SMALLINT, sum0_si SMALLINT, avg_si SMALLINT, max_si SMALLINT, sum_d DECIMAL(38, 2), avg_d DECIMAL(38, 6), min_d DECIMAL(5, 2), max_d DECIMAL(5, 2),
  sum_d10 DECIMAL(38, 10), avg_d10 DECIMAL(38, 10), sum_db DOUBLE, avg_db DOUBLE) WITH ('connector' = 'collect');
INSERT INTO o SELECT * FROM v;
EXPLAIN SELECT SUM(f), AVG(f), SUM(d) FROM t;
-- Retractions: SUM(FLOAT) subtracts in float32, AVG(FLOAT) from its DOUBLE sum.
CREATE TABLE c (k INT, f FLOAT) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE oc (k INT, sum_f FLOAT, avg_f FLOAT, sum0_f FLOAT NOT NULL) WITH ('connector' = 'collect');
INSERT INTO oc SELECT k, SUM(f), AVG(f), SUM0(f) FROM c GROUP BY k;
