-- x IS [NOT] DISTINCT FROM y: a NULL-safe comparison, never NULL (NULL is
-- not distinct from NULL, a NULL and a value are distinct), operands cast
-- to their common type (INT against DOUBLE); also in WHERE.
CREATE TABLE t (x INT, y BIGINT, s STRING) WITH ('connector' = 'values');
CREATE TABLE out1 (x INT, y BIGINT, d BOOLEAN, nd BOOLEAN, eq BOOLEAN, ds BOOLEAN, dd BOOLEAN) WITH ('connector' = 'collect');
CREATE TABLE out2 (x INT, y BIGINT) WITH ('connector' = 'collect');

EXECUTE STATEMENT SET BEGIN
INSERT INTO out1 SELECT x, y, x IS DISTINCT FROM y, x IS NOT DISTINCT FROM y, x = y, s IS DISTINCT FROM 'a', x IS NOT DISTINCT FROM 1.0E0 FROM t;
INSERT INTO out2 SELECT x, y FROM t WHERE x IS NOT DISTINCT FROM y;
END;
