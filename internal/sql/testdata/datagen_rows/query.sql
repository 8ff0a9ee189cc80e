-- 'number-of-rows' bounds a table of random columns; a filter and a
-- projection over it (the source generates only the columns read).
CREATE TABLE gen (
    a INT,
    b BIGINT,
    flag BOOLEAN,
    name VARCHAR(10),
    tags ARRAY<INT>,
    r ROW<x INT, y STRING>
) WITH (
    'connector' = 'datagen',
    'number-of-rows' = '20',
    'seed' = '7',
    'fields.a.min' = '1',
    'fields.a.max' = '6',
    'fields.b.min' = '-1000',
    'fields.b.max' = '1000',
    'fields.name.var-len' = 'true',
    'fields.tags.length' = '2',
    'fields.r.x.min' = '0',
    'fields.r.x.max' = '9',
    'fields.r.y.length' = '3'
);
CREATE TABLE all_rows (a INT, b BIGINT, flag BOOLEAN, name VARCHAR(10), tags ARRAY<INT>, r ROW<x INT, y STRING>)
    WITH ('connector' = 'collect');
CREATE TABLE some (a INT, x INT, name VARCHAR(10)) WITH ('connector' = 'collect');
INSERT INTO all_rows SELECT * FROM gen;
INSERT INTO some SELECT a, r.x, name FROM gen WHERE a > 3;
