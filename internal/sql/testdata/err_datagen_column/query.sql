-- A per-column option of a column the table does not have.
CREATE TABLE gen (id INT, price INT) WITH ('connector' = 'datagen', 'fields.prize.min' = '1');
CREATE TABLE out (id INT) WITH ('connector' = 'collect');
INSERT INTO out SELECT id FROM gen;
