-- CREATE TABLE ... LIKE (Flink's): the new table is the source's definition
-- merged with the statement's by the LIKE options. Without options
-- (INCLUDING ALL OVERWRITING OPTIONS) it has every column, the watermark,
-- the primary key, the partitioning and the options, the statement's WITH
-- replacing options of the same key. SHOW CREATE TABLE shows the merged
-- table.
CREATE TABLE orders (
  id BIGINT NOT NULL,
  price INT,
  ts TIMESTAMP(3),
  total AS price * 2,
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND,
  PRIMARY KEY (id) NOT ENFORCED
) COMMENT 'the orders' WITH ('connector' = 'values', 'file' = 'orders.jsonl');
CREATE TABLE orders2 WITH ('one-per-read' = 'true') LIKE orders;
SHOW CREATE TABLE orders2;
-- Columns, a computed one over the source's columns, a watermark that
-- replaces the source's (OVERWRITING WATERMARKS), no primary key
-- (EXCLUDING CONSTRAINTS; id stays NOT NULL, as in Flink).
CREATE TEMPORARY TABLE orders_late (
  note STRING,
  late AS ts + INTERVAL '1' HOUR,
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) LIKE orders (OVERWRITING WATERMARKS EXCLUDING CONSTRAINTS);
SHOW CREATE TABLE orders_late;
DESCRIBE orders_late;
-- A computed column of the same name replaces the source's in its place
-- with OVERWRITING GENERATED.
CREATE TABLE tripled (total AS price * 3) LIKE orders (OVERWRITING GENERATED);
SHOW CREATE TABLE tripled;
-- EXCLUDING ALL: the physical columns only (always copied), so a sink
-- of another connector with the same columns.
CREATE TABLE out2 WITH ('connector' = 'collect') LIKE orders (EXCLUDING ALL);
CREATE TABLE out3 (total INT) WITH ('connector' = 'collect') LIKE orders (EXCLUDING ALL);
SHOW CREATE TABLE out3;
-- The ALL of the list applies first, wherever it is written.
CREATE TABLE gen_only WITH ('connector' = 'collect') LIKE orders (INCLUDING GENERATED EXCLUDING ALL);
SHOW CREATE TABLE gen_only;
-- A table copied from a table copied with LIKE.
CREATE TABLE orders3 WITH ('connector' = 'collect') LIKE orders2 (EXCLUDING OPTIONS);
SHOW CREATE TABLE orders3;
EXECUTE STATEMENT SET BEGIN
INSERT INTO out2 SELECT id, price, ts FROM orders2 WHERE price > 10;
INSERT INTO out3 SELECT id, price, ts, total FROM tripled;
END;
-- PARTITIONED BY is copied (INCLUDING PARTITIONS, the default) or left
-- out for the statement's own (EXCLUDING PARTITIONS); a metadata column
-- replaces the source's with OVERWRITING METADATA.
CREATE TABLE logs (dt STRING, msg STRING, part INT METADATA FROM 'partition' VIRTUAL) PARTITIONED BY (dt) WITH ('connector' = 'values');
CREATE TABLE logs2 LIKE logs;
SHOW CREATE TABLE logs2;
CREATE TABLE logs3 (hr STRING, part BIGINT METADATA FROM 'partition' VIRTUAL) PARTITIONED BY (hr) LIKE logs (EXCLUDING PARTITIONS OVERWRITING METADATA);
SHOW CREATE TABLE logs3;
CREATE TABLE logs4 LIKE logs (EXCLUDING METADATA);
SHOW CREATE TABLE logs4;
