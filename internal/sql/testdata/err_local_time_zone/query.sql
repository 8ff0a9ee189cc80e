-- An unknown session time zone is refused at the SET, at its position.
CREATE TABLE t (k INT) WITH ('connector' = 'values');
  SET 'table.local-time-zone' = 'UTC+01:00';
