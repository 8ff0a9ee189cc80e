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
		{table.CharType(3), table.VarCharType(5), true},
		{table.CharType(3), table.VarCharType(2), false},
		{table.BinaryType(3), table.VarBinaryType(5), true},
		{table.BinaryType(3), table.VarBinaryType(3), true},
		{table.BinaryType(3), table.VarBinaryType(2), false},
		{table.BinaryType(3), table.BinaryType(5), false},
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

// TestKeyCastsSharedColumn: a column in several key pairs takes one type,
// the common type of all the columns it is compared with, and so do they;
// with none that keeps every value the pair is refused as shared.
func TestKeyCastsSharedColumn(t *testing.T) {
	l := []table.Type{table.IntType()}
	r := []table.Type{table.BigIntType(), table.SmallIntType(), table.DoubleType()}
	lc, rc, bad, shared := keyCasts(l, r, []int{0, 0}, []int{0, 1})
	if bad != -1 || shared || !lc[0].EqualIgnoringNull(table.BigIntType()) || len(lc) != 1 ||
		!rc[1].EqualIgnoringNull(table.BigIntType()) || len(rc) != 1 {
		t.Errorf("INT = BIGINT AND INT = SMALLINT: got %v %v %d %v, want the INT and the SMALLINT as BIGINT", lc, rc, bad, shared)
	}
	if _, _, bad, shared := keyCasts(l, r, []int{0, 0}, []int{0, 2}); bad < 0 || !shared {
		t.Errorf("INT = BIGINT AND INT = DOUBLE: got bad %d shared %v, want refused as shared", bad, shared)
	}
	if _, _, bad, shared := keyCasts(l, []table.Type{table.StringType()}, []int{0}, []int{0}); bad != 0 || shared {
		t.Errorf("INT = STRING: got bad %d shared %v, want pair 0 refused, not shared", bad, shared)
	}
	lc, rc, bad, _ = keyCasts(l, r, []int{0}, []int{2})
	if bad != -1 || !lc[0].EqualIgnoringNull(table.DoubleType()) || len(rc) != 0 {
		t.Errorf("INT = DOUBLE alone: got %v %v %d, want the INT as DOUBLE", lc, rc, bad)
	}
}
