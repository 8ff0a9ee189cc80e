-- ROW comparisons expand field by field, as in Calcite/Flink:
-- (a, b) = (x, y) is a = x AND b = y, <> its negation, and a row IN-list an
-- OR of such ANDs (NOT IN its negation), so a NULL field gives NULL when
-- the other fields do not decide (three-valued logic), not equality of
-- whole ROW values. The WHERE drops the (1, NULL) row: NOT IN is NULL there.
-- A ROW column compares the same way (r = r2 over its fields).
CREATE TABLE out (a INT, b INT, eq BOOLEAN, ne BOOLEAN, i BOOLEAN, ni BOOLEAN, neq BOOLEAN, nested BOOLEAN) WITH ('connector' = 'collect');
CREATE TABLE kept (a INT, b INT) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO out SELECT a, b, (a, b) = (1, CAST(NULL AS INT)), NOT ((a, b) = (1, 2)), (a, b) IN ((1, 2), (3, 4)), (a, b) NOT IN ((1, 2), (3, 4)), r <> ROW(5, 6), (a, ROW(b, a)) = (1, ROW(2, 1)) FROM (SELECT a, b, ROW(a, b) AS r FROM (VALUES (1, CAST(NULL AS INT)), (1, 2), (5, 6), (2, CAST(NULL AS INT))) AS t(a, b));
INSERT INTO kept SELECT a, b FROM (VALUES (1, CAST(NULL AS INT)), (1, 2), (5, 6), (2, CAST(NULL AS INT))) AS t(a, b) WHERE (a, b) NOT IN ((1, 2), (3, 4));
END;
