package parser

// reserved are the words that cannot be used as unquoted identifiers (quote
// them with backticks). The set is smaller than Flink's: only the words the
// grammar needs to stop at are reserved, so columns such as day, minute, key
// or value need no quoting here (they do in Flink).
var reserved = map[string]bool{}

var reservedList = []string{
	"ALL", "AND", "ARRAY", "AS", "BETWEEN", "BY", "CASE", "CAST", "CREATE", "CROSS",
	"DATE", "DISTINCT", "DROP", "ELSE", "END", "ESCAPE", "EXCEPT", "EXISTS",
	"FALSE", "FETCH", "FOR", "FROM", "FULL", "GROUP", "HAVING", "IN", "INNER",
	"INSERT", "INTERSECT", "INTERVAL", "INTO", "IS", "JOIN", "LATERAL", "LEFT", "LIKE",
	"LIMIT", "MAP", "MATCH_RECOGNIZE", "MINUS", "NATURAL", "NOT", "NULL", "OFFSET", "ON", "OR",
	"ORDER", "OUTER", "OVER", "PARTITION", "RIGHT", "ROW", "SELECT", "SET", "SIMILAR",
	"TABLE", "THEN", "TIME", "TIMESTAMP", "TRUE", "UNION", "UNKNOWN", "UNNEST", "USING",
	"VALUES", "WHEN", "WHERE", "WINDOW", "WITH",
}

// niladic are the functions called without parentheses.
var niladic = map[string]bool{
	"CURRENT_TIMESTAMP": true, "CURRENT_DATE": true, "CURRENT_TIME": true,
	"LOCALTIMESTAMP": true, "LOCALTIME": true, "CURRENT_ROW_TIMESTAMP": false,
	"CURRENT_USER": true, "CURRENT_CATALOG": true, "CURRENT_DATABASE": false,
}

// timeUnits are the units of intervals, EXTRACT and TIMESTAMPADD/DIFF.
var timeUnits = map[string]bool{
	"YEAR": true, "QUARTER": true, "MONTH": true, "WEEK": true, "DAY": true, "HOUR": true,
	"MINUTE": true, "SECOND": true, "MILLISECOND": true, "MICROSECOND": true, "NANOSECOND": true,
	"DOW": true, "DOY": true, "EPOCH": true, "DECADE": true, "CENTURY": true, "MILLENNIUM": true,
	"ISODOW": true, "ISOYEAR": true,
}

// clauseKeywords are the words a misspelt clause keyword is compared with
// for "did you mean".
var clauseKeywords = []string{
	"SELECT", "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "JOIN",
	"LEFT", "RIGHT", "INNER", "OUTER", "WINDOW", "INTERSECT", "EXCEPT", "OFFSET",
}

// statementKeywords start statements.
var statementKeywords = []string{
	"SELECT", "WITH", "VALUES", "CREATE", "DROP", "SHOW", "DESCRIBE", "DESC", "EXPLAIN",
	"SET", "RESET", "INSERT", "EXECUTE", "BEGIN", "USE",
}

func init() {
	for _, w := range reservedList {
		reserved[w] = true
	}
	for k, v := range niladic {
		if !v {
			delete(niladic, k)
		}
	}
}

// flinkReserved are further words that Flink (Calcite) reserves. This parser
// accepts them as names, but the printer quotes them so that its output is
// also valid Flink SQL.
var flinkReserved = map[string]bool{}

var flinkReservedList = []string{
	"ABS", "ALLOW", "ALTER", "ANY", "ARE", "ASYMMETRIC", "AT", "AUTHORIZATION", "AVG",
	"BEGIN", "BIGINT", "BINARY", "BLOB", "BOOLEAN", "BOTH", "CALL", "CALLED", "CARDINALITY",
	"CASCADED", "CEIL", "CEILING", "CHAR", "CHARACTER", "CHECK", "CLASSIFIER", "CLOB", "CLOSE",
	"COLLATE", "COLLECT", "COLUMN", "COMMIT", "CONDITION", "CONNECT", "CONSTRAINT", "CONVERT",
	"CORR", "COUNT", "CUBE", "CUME_DIST", "CURRENT", "CURSOR", "CYCLE", "DAY", "DEALLOCATE",
	"DEC", "DECIMAL", "DECLARE", "DEFAULT", "DEFINE", "DELETE", "DENSE_RANK", "DEREF",
	"DESCRIBE", "DETERMINISTIC", "DISALLOW", "DISCONNECT", "DOUBLE", "DYNAMIC", "EACH",
	"ELEMENT", "EMPTY", "EVERY", "EXEC", "EXECUTE", "EXP", "EXPLAIN", "EXTEND", "EXTERNAL",
	"EXTRACT", "FILTER", "FIRST_VALUE", "FLOAT", "FLOOR", "FOREIGN", "FREE", "FUNCTION",
	"FUSION", "GET", "GLOBAL", "GRANT", "GROUPING", "GROUPS", "HOLD", "HOUR", "IDENTITY",
	"IMPORT", "INDICATOR", "INITIAL", "INOUT", "INSENSITIVE", "INT", "INTEGER", "INTERSECTION",
	"LAG", "LANGUAGE", "LARGE", "LAST_VALUE", "LEAD", "LEADING", "LIKE_REGEX", "LN", "LOCAL",
	"LOWER", "MATCH", "MATCHES", "MATCH_NUMBER", "MAX", "MEASURES", "MEMBER", "MERGE",
	"METHOD", "MIN", "MINUTE", "MOD", "MODIFIES", "MODULE", "MONTH", "MULTISET", "NATIONAL",
	"NCHAR", "NCLOB", "NEW", "NEXT", "NO", "NONE", "NORMALIZE", "NTH_VALUE", "NTILE",
	"NULLIF", "NUMERIC", "OCCURRENCES_REGEX", "OCTET_LENGTH", "OF", "OLD", "OMIT", "ONE",
	"ONLY", "OPEN", "OUT", "OVERLAPS", "OVERLAY", "PARAMETER", "PATTERN", "PER", "PERCENT",
	"PERCENTILE_CONT", "PERCENTILE_DISC", "PERCENT_RANK", "PERIOD", "PERMUTE", "PORTION",
	"POSITION", "POSITION_REGEX", "POWER", "PRECEDES", "PRECISION", "PREPARE", "PREV",
	"PRIMARY", "PROCEDURE", "RANGE", "RANK", "READS", "REAL", "RECURSIVE", "REF",
	"REFERENCES", "REFERENCING", "RELEASE", "RESET", "RESULT", "RETURN", "RETURNS",
	"REVOKE", "ROLLBACK", "ROLLUP", "ROWS", "ROW_NUMBER", "RUNNING", "SAVEPOINT", "SCOPE",
	"SCROLL", "SEARCH", "SECOND", "SEEK", "SENSITIVE", "SESSION_USER", "SHOW", "SKIP",
	"SMALLINT", "SOME", "SPECIFIC", "SPECIFICTYPE", "SQL", "SQLEXCEPTION", "SQLSTATE",
	"SQLWARNING", "SQRT", "START", "STATIC", "STDDEV_POP", "STDDEV_SAMP", "STREAM",
	"SUBMULTISET", "SUBSET", "SUBSTRING", "SUBSTRING_REGEX", "SUCCEEDS", "SUM", "SYMMETRIC",
	"SYSTEM", "SYSTEM_TIME", "SYSTEM_USER", "TABLESAMPLE", "TIMEZONE_HOUR", "TIMEZONE_MINUTE",
	"TINYINT", "TO", "TRAILING", "TRANSLATE", "TRANSLATE_REGEX", "TRANSLATION", "TREAT",
	"TRIGGER", "TRIM", "TRIM_ARRAY", "TRUNCATE", "UESCAPE", "UNIQUE", "UPDATE", "UPPER",
	"UPSERT", "USER", "VALUE", "VALUE_OF", "VARBINARY", "VARCHAR", "VARYING", "VAR_POP",
	"VAR_SAMP", "VERSIONING", "WHENEVER", "WIDTH_BUCKET", "WITHIN", "WITHOUT", "YEAR",
}

func init() {
	for _, w := range flinkReservedList {
		flinkReserved[w] = true
	}
}
