-- LIKE as Flink's SqlLikeUtils.sqlToRegexLike: '_' is Java's '.' without
-- DOTALL, so it matches any character but a line terminator (\n, \r,
-- U+0085, U+2028, U+2029); '%' is (?s:.*) and matches them too.
CREATE TABLE t (id INT, s STRING) WITH ('connector' = 'values');
CREATE TABLE o (id INT, one BOOLEAN, any_ BOOLEAN, both_ BOOLEAN, esc BOOLEAN) WITH ('connector' = 'collect');
INSERT INTO o SELECT id, s LIKE 'a_b', s LIKE 'a%b', s LIKE 'a_%b', s LIKE 'a_b' ESCAPE '!' FROM t;
