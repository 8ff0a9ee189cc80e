-- 'scan.parallelism' = '2': two source subtasks split the sequence
-- without overlap (every id once); the rows are those of one subtask.
CREATE TABLE gen (id INT, v SMALLINT) WITH (
    'connector' = 'datagen',
    'scan.parallelism' = '2',
    'seed' = '3',
    'fields.id.kind' = 'sequence',
    'fields.id.start' = '100',
    'fields.id.end' = '124',
    'fields.v.min' = '0',
    'fields.v.max' = '99'
);
CREATE TABLE out (id INT, v SMALLINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT id, v FROM gen;
