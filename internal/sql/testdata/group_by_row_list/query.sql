-- A parenthesised list in GROUP BY groups by each of its expressions (SQL's
-- grouping element, as Calcite reads it), not by a ROW value; () is the
-- empty grouping, one global group. (Since ROW constructors bind, (a, b)
-- elsewhere is a ROW.)
CREATE TABLE out (a INT, b INT, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE total (n BIGINT) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO out SELECT a, b, COUNT(*) FROM (VALUES (1, 2), (1, 2), (1, 3)) AS t(a, b) GROUP BY (a, b);
INSERT INTO total SELECT COUNT(*) FROM (VALUES (1, 2), (1, 3)) AS t(a, b) GROUP BY ();
END;
