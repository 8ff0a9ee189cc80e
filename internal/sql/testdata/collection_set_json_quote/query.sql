-- Flink 1.18-1.20 functions: JSON_QUOTE / JSON_UNQUOTE (JSON_UNQUOTE
-- passes through what is not a valid JSON string literal), ARRAY_EXCEPT /
-- ARRAY_INTERSECT (distinct elements of the first array not in / in the
-- second, in its order, NULL elements matching; NULL for a NULL array),
-- MAP_FROM_ENTRIES (a repeated key keeps its last value; a NULL entry
-- gives NULL).
CREATE TABLE t (id INT, s STRING, a ARRAY<INT>, b ARRAY<INT>, e ARRAY<ROW<k STRING, v INT>>) WITH ('connector' = 'values');
CREATE TABLE o (id INT, q STRING, u STRING, uq STRING, ex ARRAY<INT>, inter ARRAY<INT>, m MAP<STRING, INT>) WITH ('connector' = 'collect');
INSERT INTO o SELECT id, JSON_QUOTE(s), JSON_UNQUOTE(s), JSON_UNQUOTE(JSON_QUOTE(s)), ARRAY_EXCEPT(a, b), ARRAY_INTERSECT(a, b), MAP_FROM_ENTRIES(e) FROM t;
