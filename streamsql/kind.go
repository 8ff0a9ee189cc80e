package streamsql

import "github.com/stromio/strom/internal/sql/parser"

// IsQuery reports whether the script's last statement is a SELECT (a
// query whose rows Query passes to a function) rather than INSERT INTO
// (a job that Submit starts). A script that does not parse is reported
// as not a query; Submit then returns the parse error.
func IsQuery(text string) bool {
	script, err := parser.ParseScript(text)
	if err != nil || len(script.Stmts) == 0 {
		return false
	}
	_, ok := script.Stmts[len(script.Stmts)-1].(*parser.QueryStmt)
	return ok
}
