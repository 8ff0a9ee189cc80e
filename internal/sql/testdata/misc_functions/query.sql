-- MD5, SHA1, SHA256, SHA2(s, bits) (lower-case hex of the UTF-8 bytes),
-- TRUNCATE (toward zero, typed as ROUND), STR_TO_MAP (regex delimiters)
-- with map[key] access, and UUID() (random, volatile: a fresh value per
-- call and per row).
CREATE TABLE t (s STRING, d DECIMAL(10, 3), f DOUBLE, n INT) WITH ('connector' = 'values');
CREATE TABLE out (md STRING, sha1 STRING, sha256 STRING, sha2 STRING, td DECIMAL(10, 1), tf DOUBLE, tn INT,
  m MAP<STRING, STRING>, mk STRING, uuid_len INT, uuid_differ BOOLEAN) WITH ('connector' = 'collect');
INSERT INTO out SELECT MD5(s), SHA1(s), SHA256(s), SHA2(s, 384), TRUNCATE(d, 1), TRUNCATE(f, 2), TRUNCATE(n, -1),
  STR_TO_MAP(s, ';\s*', '='), STR_TO_MAP(s, ';\s*', '=')['k'], CHAR_LENGTH(UUID()), UUID() <> UUID() FROM t;
