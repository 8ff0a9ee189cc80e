-- A column of VALUES needs a common type.
SELECT * FROM (VALUES (1, 'a'), (2, TRUE)) AS t(x, y);
