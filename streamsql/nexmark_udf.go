package streamsql

import (
	"fmt"
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/table"
)

// NexmarkCountChar is the identifier of the Nexmark benchmark's scalar
// function CountChar (q14: CREATE FUNCTION count_char AS
// 'com.github.nexmark.flink.udf.CountChar').
const NexmarkCountChar = "com.github.nexmark.flink.udf.CountChar"

// RegisterNexmarkFunctions registers the user-defined functions of the
// Nexmark queries under their Java identifiers, so that the queries'
// CREATE FUNCTION statements find them. CountChar(s, c) BIGINT is the Java
// class's eval: the number of bytes of s (UTF-8) equal to the first byte
// of c, so for an ASCII character (q14's 'c') its occurrences in s. Where
// the Java function differs by accident it is not copied: an empty c gives
// 0 (Java throws), and NULL arguments give NULL (a SQL function of strom
// is strict; Java gives 0 for a NULL s).
func (s *Session) RegisterNexmarkFunctions() {
	params := []table.Type{table.StringType(), table.StringType()}
	s.reg.Register(NexmarkCountChar, expr.Overload{
		Sig:  fmt.Sprintf("%s(%s, %s) -> %s", strings.ToUpper(NexmarkCountChar), params[0], params[1], table.BigIntType()),
		Bind: expr.Fixed(table.BigIntType(), params...),
		// Two arguments without an argument slice per row (a
		// RegisterScalar function gets one).
		Impl:        func(*expr.Bound) (expr.Func, error) { return expr.Func{F2: countChar}, nil },
		UserDefined: true,
	})
}

// countChar is CountChar's evaluator.
func countChar(s, c table.Value) (table.Value, error) {
	cs := c.AsString()
	if cs == "" {
		return table.Int(0), nil
	}
	return table.Int(int64(strings.Count(s.AsString(), cs[:1]))), nil
}
