-- m[key] compares the key and the map's keys over their common type (the
-- map's keys cast when it is wider, as ARRAY_CONTAINS does): a BIGINT or
-- DECIMAL key finds an INT key of equal value, never silently unequal.
CREATE TABLE out (a STRING, b STRING, c STRING, d STRING, e STRING) WITH ('connector' = 'collect');
INSERT INTO out SELECT MAP[1, 'a'][CAST(1 AS BIGINT)], MAP[1.5, 'x'][1.50], MAP[1, 'a'][k], MAP[1, 'a'][1.5], MAP[CAST(1 AS BIGINT), 'a'][1] FROM (VALUES (CAST(1.0 AS DECIMAL(5, 2)))) AS t(k);
