-- NULLIF(r, v) of ROWs is CASE WHEN r = v THEN NULL ELSE r END, its =
-- field by field (row_compare_nulls): a NULL field keeps r.
CREATE TABLE out (a INT, b INT, n BOOLEAN) WITH ('connector' = 'collect');
INSERT INTO out SELECT a, b, NULLIF((a, b), (1, CAST(NULL AS INT))) IS NULL FROM (VALUES (1, CAST(NULL AS INT)), (1, 2)) AS t(a, b) UNION ALL SELECT a, b, NULLIF((a, b), (1, 2)) IS NULL FROM (VALUES (1, 2)) AS t(a, b);
