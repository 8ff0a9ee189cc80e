CREATE TABLE events (id INT, payload STRING) WITH ('connector' = 'values');
CREATE TABLE out (v STRING) WITH ('connector' = 'collect');
INSERT INTO out
SELECT JSON_QUERY(payload, '$.a' RETURNING ARRAY<STRING>) FROM events;
