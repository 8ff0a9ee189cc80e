package planner

import (
	"slices"
	"testing"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/table"
)

// TestCalcDirectOrder: the evaluated outputs of an in-place Calc are
// written straight into the row only in an order where no output reads a
// field an earlier one wrote (q22's three SPLIT_INDEX of url: the one
// written into url's field last), only when all are error-free, and never
// over a copied column.
func TestCalcDirectOrder(t *testing.T) {
	reg := expr.Default()
	call := func(name string, args ...expr.Expr) expr.Expr {
		e, err := reg.Call(name, args...)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	str := func(i int) expr.Expr { return expr.ColumnRef(i, "", table.StringType()) }
	split := func(x expr.Expr, k int64) expr.Expr { return call("SPLIT_INDEX", x, expr.StrLit("/"), expr.IntLit(k)) }
	col := func(i int) expr.Expr { return expr.ColumnRef(i, "", table.BigIntType()) }
	fails, err := expr.NewCast(str(4), table.IntType(), false)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		exprs []expr.Expr
		want  []int
	}{
		{"q22", []expr.Expr{col(0), col(1), col(2), str(3), split(str(4), 3), split(str(4), 4), split(str(4), 5)}, []int{5, 6, 4}}, // url's field last
		{"independent", []expr.Expr{call("LOWER", str(0)), call("UPPER", str(1))}, []int{0, 1}},
		{"cycle", []expr.Expr{call("LOWER", str(1)), call("UPPER", str(0))}, nil},
		{"may fail", []expr.Expr{col(0), fails}, nil},
		{"copied from", []expr.Expr{call("LOWER", str(1)), str(0)}, nil}, // output 0's field is output 1's source
	}
	for _, c := range cases {
		var computed, src []int
		for i, e := range c.exprs {
			if x, ok := e.(*expr.Column); ok {
				src = append(src, x.Index)
				continue
			}
			src = append(src, -1)
			computed = append(computed, i)
		}
		if got := calcDirectOrder(c.exprs, computed, src); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
