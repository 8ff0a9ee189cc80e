-- Text that is not JSON: in lax mode an empty result (ON EMPTY), in strict
-- mode an error (ON ERROR), as Flink's SqlJsonUtils.jsonApiCommonSyntax.
-- Row 2 is valid JSON for comparison; row 3 is empty text.
CREATE TABLE events (id INT, payload STRING) WITH ('connector' = 'values');
CREATE TABLE out (id INT, v_lax STRING, v_lax_err STRING, v_strict STRING, q_lax STRING,
  q_strict STRING, e_lax BOOLEAN, e_lax_true BOOLEAN, e_strict_true BOOLEAN) WITH ('connector' = 'collect');
INSERT INTO out
SELECT id,
  JSON_VALUE(payload, 'lax $.a' DEFAULT 'empty' ON EMPTY DEFAULT 'error' ON ERROR),
  JSON_VALUE(payload, 'lax $.a' ERROR ON ERROR),
  JSON_VALUE(payload, 'strict $.a' DEFAULT 'empty' ON EMPTY DEFAULT 'error' ON ERROR),
  JSON_QUERY(payload, 'lax $.a' EMPTY ARRAY ON EMPTY EMPTY OBJECT ON ERROR),
  JSON_QUERY(payload, 'strict $.a' EMPTY ARRAY ON EMPTY EMPTY OBJECT ON ERROR),
  JSON_EXISTS(payload, 'lax $.a' ERROR ON ERROR),
  JSON_EXISTS(payload, 'lax $.a' TRUE ON ERROR),
  JSON_EXISTS(payload, 'strict $.a' TRUE ON ERROR)
FROM events;
