-- GROUP BY (a, b) is GROUP BY a, b for a correlated scalar subquery in the
-- select list of the aggregation too: it may read the outer a.
CREATE TABLE out (a INT, m INT) WITH ('connector' = 'collect');
INSERT INTO out SELECT a, (SELECT MAX(y) FROM (VALUES (1, 10), (2, 20)) s(k, y) WHERE s.k = t.a) FROM (VALUES (1, 2), (2, 3)) t(a, b) GROUP BY (a, b);
