package streamsql

import (
	"strings"

	"github.com/stromio/strom/table"
)

// NexmarkCountChar is the identifier of the Nexmark benchmark's scalar
// function CountChar (q14: CREATE FUNCTION count_char AS
// 'com.github.nexmark.flink.udf.CountChar').
const NexmarkCountChar = "com.github.nexmark.flink.udf.CountChar"

// RegisterNexmarkFunctions registers the user-defined functions of the
// Nexmark queries under their Java identifiers, so that the queries'
// CREATE FUNCTION statements find them: CountChar(s, c) BIGINT is the
// number of occurrences of the first character of c in s (0 when c is
// empty).
func (s *Session) RegisterNexmarkFunctions() {
	s.RegisterScalar(NexmarkCountChar, table.BigIntType(), []table.Type{table.StringType(), table.StringType()},
		func(a []table.Value) (table.Value, error) {
			c := a[1].AsString()
			if c == "" {
				return table.Int(0), nil
			}
			r := []rune(c)[0]
			return table.Int(int64(strings.Count(a[0].AsString(), string(r)))), nil
		})
}
