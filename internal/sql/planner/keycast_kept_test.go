package planner

import (
	"testing"

	"github.com/stromio/strom/table"
)

// TestKeptByKeyCast: which key casts leave the value as the row had it,
// so that castBackCalc gives the column only its type back (a TIME(0)
// holding milliseconds keeps them), and which change the representation
// and are cast back (numbers) or are not widenings (another root).
func TestKeptByKeyCast(t *testing.T) {
	for _, c := range []struct {
		from, to table.Type
		want     bool
	}{
		{table.TimeType(0), table.TimeType(1), true},
		{table.TimeType(0), table.TimeType(3), true},
		{table.TimestampType(0), table.TimestampType(3), true},
		{table.TimestampLTZType(3), table.TimestampLTZType(6), true},
		{table.VarCharType(3), table.StringType(), true},
		{table.TimeType(3), table.TimeType(0), false},
		{table.TimestampType(3), table.TimestampLTZType(3), false},
		{table.IntType(), table.BigIntType(), false},
		{table.FloatType(), table.DoubleType(), false},
		{table.DecimalType(5, 2), table.DecimalType(7, 3), false},
		{table.CharType(3), table.CharType(5), false},
		{table.DateType(), table.TimestampType(3), false},
	} {
		if got := keptByKeyCast(c.from, c.to); got != c.want {
			t.Errorf("keptByKeyCast(%s, %s) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}
