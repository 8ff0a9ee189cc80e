-- A metadata column of the LIKE table's name needs OVERWRITING METADATA.
CREATE TABLE k (id BIGINT, part INT METADATA FROM 'partition' VIRTUAL) WITH ('connector' = 'values');
CREATE TABLE t2 (part BIGINT METADATA FROM 'partition' VIRTUAL) LIKE k;
