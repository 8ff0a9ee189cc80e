-- Streaming ETL over raw JSON events (Flink's JSON functions):
-- JSON_VALUE with RETURNING, DEFAULT ... ON EMPTY / ON ERROR and lax and
-- strict paths, JSON_QUERY with a wrapper, JSON_EXISTS in WHERE, IS JSON,
-- and JSON_OBJECT / JSON_ARRAY building nested output. A missing key under
-- the default strict mode is an error, not an empty result: event 3's kind
-- is NULL (NULL ON ERROR), not 'unknown' (the DEFAULT ON EMPTY).
CREATE TABLE events (id INT, payload STRING) WITH ('connector' = 'values');
CREATE TABLE out (id INT, kind STRING, amount DOUBLE, qty INT, tags STRING, first_tag STRING,
  has_user BOOLEAN, obj BOOLEAN, summary STRING) WITH ('connector' = 'collect');
INSERT INTO out
SELECT id,
  JSON_VALUE(payload, '$.type' DEFAULT 'unknown' ON EMPTY),
  JSON_VALUE(payload, '$.order.amount' RETURNING DOUBLE DEFAULT -1.0 ON ERROR),
  JSON_VALUE(payload, 'lax $.order.qty' RETURNING INT DEFAULT 0 ON EMPTY DEFAULT -1 ON ERROR),
  JSON_QUERY(payload, 'lax $.tags' WITH CONDITIONAL ARRAY WRAPPER EMPTY ARRAY ON EMPTY),
  JSON_VALUE(payload, '$.tags[0]'),
  JSON_EXISTS(payload, '$.user'),
  payload IS JSON OBJECT,
  JSON_OBJECT('id' VALUE id, 'user' VALUE JSON_VALUE(payload, '$.user.name'),
    'items' VALUE JSON_ARRAY(JSON_VALUE(payload, '$.order.sku'), JSON_VALUE(payload, 'lax $.order.qty' RETURNING INT))
    ABSENT ON NULL)
FROM events
WHERE payload IS JSON AND NOT JSON_EXISTS(payload, 'strict $.test' FALSE ON ERROR);
