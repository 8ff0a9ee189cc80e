CREATE TABLE events (id INT, payload STRING) WITH ('connector' = 'values');
CREATE TABLE out (v STRING) WITH ('connector' = 'collect');
INSERT INTO out
SELECT JSON_VALUE(id, '$.a') FROM events;
