-- case: unclosed TUMBLE argument list
SELECT *
FROM TABLE(
    TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND
FROM bid;
-- case: misspelt SELECT
SELEC a FROM t;
-- case: misspelt FROM read as an alias
SELECT a FORM t;
-- case: misspelt WHERE
SELECT a FROM t WHER a > 1;
-- case: GROUP without BY
SELECT a FROM t GROUP a;
-- case: misspelt BY
SELECT a FROM t ORDER BI a;
-- case: missing expression
SELECT a, FROM t;
-- case: reserved word as a column
SELECT a FROM t WHERE select = 1;
-- case: unterminated string
SELECT 'abc FROM t;
-- case: unterminated comment
SELECT a /* no end FROM t;
-- case: double quotes
SELECT "name" FROM t;
-- case: unexpected character
SELECT a # b FROM t;
-- case: malformed number
SELECT 12abc FROM t;
-- case: CASE without END
SELECT CASE WHEN a > 1 THEN 'x' FROM t;
-- case: CAST without AS
SELECT CAST(a BIGINT) FROM t;
-- case: bad type parameter
CREATE TABLE t (a DECIMAL(x, 2)) WITH ('connector' = 'print');
-- case: WITH option without value
CREATE TABLE t (a INT) WITH ('connector');
-- case: option value not a string
CREATE TABLE t (a INT) WITH ('connector' = print);
-- case: WATERMARK without AS
CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts ts - INTERVAL '1' SECOND) WITH ();
-- case: PRIMARY KEY without NOT ENFORCED on a column
CREATE TABLE t (id BIGINT PRIMARY KEY) WITH ();
-- case: table PRIMARY KEY without NOT ENFORCED
CREATE TABLE t (id BIGINT, PRIMARY KEY (id)) WITH ();
-- case: CREATE TABLE without columns
CREATE TABLE t WITH ('connector' = 'print');
-- case: interval without unit
SELECT INTERVAL '10' FROM t;
-- case: interval unit misspelt
SELECT INTERVAL '10' SECNOD FROM t;
-- case: join without ON
SELECT * FROM a JOIN b WHERE a.x = b.x;
-- case: LEFT without JOIN
SELECT * FROM a LEFT b ON TRUE;
-- case: IN without list
SELECT a FROM t WHERE a IN 1;
-- case: BETWEEN without AND
SELECT a FROM t WHERE a BETWEEN 1 OR 2;
-- case: IS followed by junk
SELECT a FROM t WHERE a IS 5;
-- case: INSERT without INTO
INSERT sink SELECT 1;
-- case: INSERT without query
INSERT INTO sink;
-- case: statement set with a SELECT
EXECUTE STATEMENT SET BEGIN
  INSERT INTO a SELECT 1;
  SELECT 2;
END;
-- case: unknown statement
FOO BAR;
-- case: two statements without a separator
SELECT 1 SELECT 2;
-- case: MATCH_RECOGNIZE without DEFINE
SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts PATTERN (A B));
-- case: bad pattern quantifier
SELECT * FROM t MATCH_RECOGNIZE (PATTERN (A{3,1}) DEFINE A AS TRUE);
-- case: window frame without PRECEDING
SELECT SUM(a) OVER (ORDER BY ts ROWS BETWEEN 10 AND CURRENT ROW) FROM t;
-- case: unclosed OVER
SELECT SUM(a) OVER (PARTITION BY b FROM t;
-- case: TABLE(...) without a call
SELECT * FROM TABLE(bid);
-- case: FETCH without ONLY
SELECT a FROM t FETCH FIRST 3 ROWS;
-- case: MAP with odd elements
SELECT MAP['a', 1, 'b'] FROM t;
-- case: trailing operator
SELECT a + FROM t;
-- case: error on a later line
SELECT a,
       b,
       c +* d
FROM t;
-- case: unclosed subquery
SELECT * FROM (SELECT a FROM t;
-- case: empty input
-- case: DROP SCHEMA
DROP SCHEMA s;
-- case: SET without value
SET 'a' = ;
-- case: hint in the wrong place
SELECT a FROM t WHERE /*+ OPTIONS('k'='v') */ a > 1;
-- case: unterminated hint
SELECT /*+ STATE_TTL('t' = '1d') FROM t;
-- case: hint with a bad argument
SELECT /*+ BROADCAST(1) */ * FROM t;
-- case: CREATE OR REPLACE VIEW
CREATE OR REPLACE VIEW v AS SELECT 1;
-- case: FLOOR TO a non-unit
SELECT FLOOR(ts TO x) FROM t;
-- case: JSON_VALUE without a path
SELECT JSON_VALUE(doc) FROM t;
-- case: JSON_VALUE with ON twice
SELECT JSON_VALUE(doc, '$.a' NULL ON EMPTY ERROR ON EMPTY) FROM t;
-- case: a qualified * with other arguments
SELECT COUNT(A.*, x) FROM t;
-- case: LIKE options with commas
CREATE TABLE t2 (x INT) LIKE t1 (EXCLUDING ALL, INCLUDING GENERATED);
-- case: empty LIKE options
CREATE TABLE t2 (x INT) LIKE t1 ();
-- case: LIKE without a table name
CREATE TABLE t2 (x INT) LIKE (INCLUDING ALL);
-- case: LIKE option without a feature
CREATE TABLE t2 (x INT) LIKE t1 (INCLUDING);
-- case: LIKE option misspelt
CREATE TABLE t2 (x INT) LIKE t1 (INCLUDING WATERMARK);
-- case: LIKE options not closed
CREATE TABLE t2 (x INT) LIKE t1 (INCLUDING ALL;
-- case: OVERWRITING ALL
CREATE TABLE t2 (x INT) LIKE t1 (OVERWRITING ALL);
-- case: OVERWRITING PARTITIONS
CREATE TABLE t2 (x INT) LIKE t1 (EXCLUDING ALL OVERWRITING PARTITIONS);
-- case: a LIKE feature twice
CREATE TABLE t2 (x INT) LIKE t1 (EXCLUDING PARTITIONS INCLUDING PARTITIONS);
-- case: LIKE and AS
CREATE TABLE t2 WITH ('connector' = 'print') LIKE t1 AS SELECT * FROM t1;
-- case: AS and LIKE
CREATE TABLE t2 WITH ('connector' = 'print') AS SELECT * FROM t1 LIKE t1;
-- case: LIKE before WITH
CREATE TABLE t2 (x INT) LIKE t1 WITH ('connector' = 'print');
-- case: CREATE OR REPLACE TABLE ... LIKE
CREATE OR REPLACE TABLE t2 (x INT) LIKE t1;
