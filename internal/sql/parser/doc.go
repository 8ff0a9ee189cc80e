// Package parser reads strom's streaming SQL, Flink's dialect, into a syntax
// tree. It is the first stage of the SQL layer and only that: it resolves no
// names, checks no types and plans nothing (the planner and the runtime are
// to come, in internal/sql). It imports nothing else of the module.
//
// # API
//
//   - Parse(src) reads one statement, ParseScript(src) a script of
//     statements separated by ";", ParseQuery, ParseExpr and ParseType one
//     query, expression or data type.
//   - Errors are *Error{Line, Col, Offset, Msg}; Error() is "line L, column
//     C: expected X, found Y" and Pretty(src) adds the source line with a
//     caret. A misspelt keyword gets "did you mean" (edit distance 1–2), and
//     so does a misspelt clause keyword that was read as an alias
//     ("SELECT a FORM t").
//   - Every node carries its Pos (byte offset, line, column in runes).
//     String()/Format print canonical SQL (upper-case keywords, single
//     spaces, parentheses exactly where precedence needs them, identifiers
//     backticked when this parser or Flink reserves them), and
//     parse(print(parse(x))) equals parse(x) up to positions. Dump is a
//     position-free dump of the tree, used by the golden tests.
//
// # Grammar
//
// Statements: CREATE [OR REPLACE] [TEMPORARY] TABLE [IF NOT EXISTS] (physical, computed
// "name AS expr" and metadata "name TYPE METADATA [FROM 'key'] [VIRTUAL]"
// columns, WATERMARK FOR col AS expr, [CONSTRAINT n] PRIMARY KEY (...) NOT
// ENFORCED, COMMENT, PARTITIONED BY, WITH ('k' = 'v', ...), AS query or
// LIKE source [({INCLUDING|EXCLUDING|OVERWRITING} {ALL|CONSTRAINTS|PARTITIONS|
// GENERATED|OPTIONS|WATERMARKS|METADATA} ...)], the options separated by
// blanks as in Flink, each feature once, no OVERWRITING for ALL,
// CONSTRAINTS or PARTITIONS);
// CREATE [TEMPORARY] VIEW; CREATE [TEMPORARY [SYSTEM]] FUNCTION ... AS
// 'class' [LANGUAGE ...]; DROP [TEMPORARY] TABLE|VIEW|FUNCTION [IF EXISTS];
// SHOW TABLES|VIEWS|FUNCTIONS|...|CREATE TABLE t; DESCRIBE|DESC; EXPLAIN
// [PLAN FOR | detail, ...]; USE [CATALOG]; SET ['k' = 'v']; RESET ['k'];
// INSERT INTO|OVERWRITE t [PARTITION (...)] [(cols)] query; EXECUTE
// STATEMENT SET BEGIN ...; END and BEGIN STATEMENT SET; ...; END.
//
// Queries: WITH, SELECT [DISTINCT], FROM, WHERE, GROUP BY (with GROUPING
// SETS, ROLLUP, CUBE), HAVING, WINDOW, ORDER BY, LIMIT, OFFSET, FETCH
// FIRST (read as LIMIT), UNION/INTERSECT/EXCEPT [ALL|DISTINCT] (INTERSECT
// binds tighter), VALUES; joins ([INNER], LEFT/RIGHT/FULL [OUTER], CROSS,
// NATURAL, comma, ON or USING, parenthesised), FOR SYSTEM_TIME AS OF,
// UNNEST [WITH ORDINALITY], [LATERAL] TABLE(fn(...)) including the window
// table functions with positional or named arguments (TABLE t [PARTITION BY
// ...], DESCRIPTOR(...), name => value, where any word may name a
// parameter), LATERAL subqueries and
// MATCH_RECOGNIZE (PARTITION BY, ORDER BY, MEASURES with RUNNING/FINAL, ONE
// ROW / ALL ROWS PER MATCH, AFTER MATCH SKIP, PATTERN with alternation,
// groups and the quantifiers * + ? {n} {n,} {,m} {n,m} and their reluctant
// forms, WITHIN, SUBSET, DEFINE).
//
// Hints: /*+ NAME('k' = 'v', ...), NAME(a, b), NAME */ after SELECT (e.g.
// STATE_TTL, LOOKUP, BROADCAST), after a table name in FROM and after the
// table of INSERT (OPTIONS, the dynamic table options); elsewhere a hint is
// an error, and a plain /* comment */ is skipped.
//
// Expressions, by precedence climbing (lowest first): OR; AND; NOT; IS
// [NOT] NULL|TRUE|FALSE|UNKNOWN|DISTINCT FROM; comparisons; [NOT]
// BETWEEN|IN|LIKE|SIMILAR TO; + -; * / % ||; unary - +; [i] and .field.
// Primaries: numbers, 'strings' (a quote doubled inside is a quote), TRUE/FALSE/UNKNOWN/NULL,
// DATE/TIME/TIMESTAMP '...', INTERVAL '...' unit [TO unit], ? parameters,
// a.b.c names, function calls (DISTINCT, *, FILTER (WHERE ...), OVER (...)
// or OVER w), CASE, CAST, TRY_CAST, EXTRACT, POSITION(x IN y), TRIM(...
// FROM ...), SUBSTRING(x FROM a FOR b), OVERLAY(x PLACING y FROM a FOR b),
// FLOOR/CEIL(t TO unit), TIMESTAMPADD/TIMESTAMPDIFF(unit,
// ...), niladic CURRENT_TIMESTAMP and kin, EXISTS, scalar and IN
// subqueries, ARRAY[...], MAP[...], ROW(...) and (a, b) rows. Group-window
// functions (TUMBLE(ts, INTERVAL ...), TUMBLE_START, HOP, SESSION, ...) are
// ordinary calls.
//
// SQL/JSON: JSON_EXISTS, JSON_VALUE and JSON_QUERY with RETURNING, the array
// wrapper and ON EMPTY / ON ERROR; JSON_OBJECT and JSON_OBJECTAGG with
// [KEY] k VALUE v; JSON_ARRAY and JSON_ARRAYAGG; NULL|ABSENT ON NULL; IS
// [NOT] JSON [VALUE|SCALAR|ARRAY|OBJECT].
//
// # Identifiers and keywords
//
// Keywords are case-insensitive. Identifiers keep their case, quoted
// (`backticks`, a backtick doubled inside is a backtick) or not; Flink matches table and
// column names case-sensitively (and built-in function names
// case-insensitively), which the name resolution to come will follow. Only
// the words the grammar must stop at are reserved (see keywords.go), fewer
// than Flink reserves: value, day, key, minute ... are plain names here,
// though the printer quotes Flink's reserved words so that its output is
// also valid Flink SQL. "double quotes" are rejected with a hint.
//
// # Not covered
//
// ALTER, CREATE CATALOG /
// DATABASE, ANALYZE, quantified comparisons (= ANY
// (...)), FILTER/OVER on JSON_OBJECTAGG and JSON_ARRAYAGG, WITHIN GROUP,
// IGNORE NULLS (but in ARRAY_AGG), U&'...' and X'...' literals, adjacent string literal
// concatenation, PERMUTE and {- -} in patterns, interval precisions
// (DAY(3)).
//
// # Robustness
//
// Nesting deeper than MaxDepth (1000) is an error, not a stack overflow.
// FuzzParse checks that no input panics or takes more than 5 s, and that
// every input that parses round-trips through the printer.
package parser
