/* Query blocks: projection, filters, grouping, ordering, limits. */
SELECT * FROM t;
SELECT DISTINCT a, t.b AS bb, c cc, t.* FROM cat.db.t AS t;
SELECT a, COUNT(*) AS n, SUM(b) FILTER (WHERE b > 0) AS pos, COUNT(DISTINCT c)
FROM t
WHERE a IS NOT NULL AND b <> 3 AND c != 4
GROUP BY a
HAVING COUNT(*) > 1
ORDER BY n DESC NULLS LAST, a
LIMIT 10;
SELECT a FROM t ORDER BY a ASC OFFSET 5 ROWS FETCH FIRST 3 ROWS ONLY;
SELECT a, b, SUM(c) FROM t GROUP BY GROUPING SETS ((a, b), (a), ());
SELECT a, b, SUM(c) FROM t GROUP BY ROLLUP (a, b);
SELECT a, b, SUM(c) FROM t GROUP BY CUBE (a, b), c;
WITH w AS (SELECT a FROM t), v (x) AS (SELECT b FROM u)
SELECT * FROM w, v;
SELECT a FROM t WHERE a IN (SELECT b FROM u) AND EXISTS (SELECT 1 FROM v WHERE v.c = t.a);
SELECT (SELECT MAX(b) FROM u) AS m, a NOT IN (1, 2, 3) FROM t;
SELECT 1;
VALUES (1), (2);
