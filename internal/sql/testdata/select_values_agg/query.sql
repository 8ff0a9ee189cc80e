-- VALUES as a table under GROUP BY: an updating result (a case of its own:
-- its rows keep their order, which rows of two VALUES sources under UNION ALL
-- do not).
CREATE TABLE counts (b STRING, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO counts SELECT y, COUNT(*) FROM (VALUES ('p', 1), ('q', 2), ('p', 3)) AS t(y, z) GROUP BY y;
