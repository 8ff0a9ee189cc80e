-- A computed column of the LIKE table over one of its metadata columns,
-- which EXCLUDING METADATA leaves out: the error names the copied column.
CREATE TABLE k (id BIGINT, part INT METADATA FROM 'partition' VIRTUAL, p2 AS part * 2) WITH ('connector' = 'values');
CREATE TABLE t2 LIKE k (EXCLUDING METADATA);
