-- 'fields.#.null-rate': the fraction of NULLs (0.5 here: about half of
-- the 40 rows), 1: all NULL; on a sequence the value of the row is
-- replaced by NULL (the sequence still counts it).
CREATE TABLE gen (id INT, v INT, s STRING, gone DOUBLE) WITH (
    'connector' = 'datagen',
    'seed' = '99',
    'fields.id.kind' = 'sequence',
    'fields.id.start' = '1',
    'fields.id.end' = '40',
    'fields.id.null-rate' = '0.1',
    'fields.v.min' = '0',
    'fields.v.max' = '9',
    'fields.v.null-rate' = '0.5',
    'fields.s.length' = '2',
    'fields.s.null-rate' = '0.5',
    'fields.gone.null-rate' = '1'
);
CREATE TABLE out (id INT, v INT, s STRING, gone DOUBLE) WITH ('connector' = 'collect');
INSERT INTO out SELECT * FROM gen;
