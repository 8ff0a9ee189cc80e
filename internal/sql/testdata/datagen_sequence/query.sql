-- A datagen table bounded by its sequence: ids 1..12, then the source
-- ends. The random columns are a pure function of 'seed' (strom's
-- option) and the row; the rows are the same at parallelism 1 and 2 (the
-- splits cut the sequence without overlap). The time columns read the
-- job's clock (a manual one, file "clock").
CREATE TABLE gen (
    id BIGINT,
    code VARCHAR(6),
    score DOUBLE,
    price DECIMAL(8, 2),
    small TINYINT,
    ltz TIMESTAMP_LTZ(3),
    ts TIMESTAMP(3),
    label STRING,
    doubled AS id * 2
) WITH (
    'connector' = 'datagen',
    'seed' = '20240330',
    'fields.id.kind' = 'sequence',
    'fields.id.start' = '1',
    'fields.id.end' = '12',
    'fields.code.kind' = 'sequence',
    'fields.code.start' = '-5',
    'fields.code.end' = '100',
    'fields.score.min' = '0',
    'fields.score.max' = '1',
    'fields.price.min' = '10',
    'fields.price.max' = '99.99',
    'fields.ltz.max-past' = '1 min',
    'fields.label.length' = '4'
);
CREATE TABLE out (id BIGINT, code VARCHAR(6), score DOUBLE, price DECIMAL(8, 2), small TINYINT,
    ltz TIMESTAMP_LTZ(3), ts TIMESTAMP(3), label STRING, doubled BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT * FROM gen;
