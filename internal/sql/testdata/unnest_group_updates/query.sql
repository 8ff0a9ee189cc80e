-- UNNEST of an updating input below a GROUP BY: the correlate passes the
-- row kind, so an update of a cart (-U/+U) retracts the count of each old
-- element and adds each new one, and a delete retracts its elements; under
-- LEFT JOIN UNNEST an empty cart's padded row is updated like the others.
CREATE TABLE carts (id INT, tags ARRAY<STRING>) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE per_tag (tag STRING, n BIGINT) WITH ('connector' = 'collect');
CREATE TABLE expanded (id INT, tag STRING) WITH ('connector' = 'collect');
CREATE TABLE expanded_left (id INT, tag STRING, pos INT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO per_tag SELECT tag, COUNT(*) FROM carts CROSS JOIN UNNEST(tags) AS t(tag) GROUP BY tag;
INSERT INTO expanded SELECT id, tag FROM carts CROSS JOIN UNNEST(tags) AS t(tag);
INSERT INTO expanded_left SELECT id, tag, pos FROM carts LEFT JOIN UNNEST(tags) WITH ORDINALITY AS t(tag, pos) ON TRUE;
END;
