-- A sequence needs its start and end.
CREATE TABLE gen (id INT) WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1');
CREATE TABLE out (id INT) WITH ('connector' = 'collect');
INSERT INTO out SELECT id FROM gen;
