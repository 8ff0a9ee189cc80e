package expr

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stromio/strom/table"
)

func TestReviewColConstMore(t *testing.T) {
	ltz, dec, str, bi := table.TimestampLTZType(3), table.DecimalType(10, 2), table.StringType(), table.BigIntType()
	cols := []table.Type{ltz, dec, str, bi}
	col := func(i int) Expr { return ColumnRef(i, "c", cols[i]) }
	type call struct {
		name string
		x    int
		y    Expr
	}
	calls := []call{
		{"DATE_FORMAT", 0, StrLit("yyyy-MM-dd HH")}, {"DATE_FORMAT", 0, NullLit(str)},
		{"MOD", 1, IntLit(3)}, {"MOD", 1, IntLit(0)}, {"MOD", 1, NullLit(table.IntType())}, {"MOD", 3, IntLit(-3)},
		{"||", 2, NullLit(str)}, {"||", 2, StrLit("")}, {"CONCAT", 2, NullLit(str)}, {"CONCAT", 2, StrLit("z")},
		{"ROUND", 1, IntLit(1)}, {"TRUNCATE", 1, IntLit(0)}, {"POWER", 3, IntLit(2)}, {"LPAD", 2, IntLit(3)},
		{"SUBSTRING", 2, IntLit(2)}, {"IFNULL", 2, StrLit("d")}, {"NULLIF", 2, StrLit("a")}, {"COALESCE", 2, StrLit("d")},
		{"SPLIT_INDEX", 2, StrLit(",")}, {"/", 3, BigIntLit(0)}, {"DIV", 3, BigIntLit(0)},
	}
	rng := rand.New(rand.NewPCG(3, 19))
	strs := []string{"", "a", "a,b", "héllo"}
	val := func(i int) table.Value {
		if rng.IntN(5) == 0 {
			return table.Null
		}
		switch i {
		case 0:
			return table.TimestampMillis(rng.Int64N(4_000_000_000_000) - 1_000_000_000_000)
		case 1:
			return table.DecimalValue(table.NewDecimal(rng.Int64N(20000)-10000, 2))
		case 2:
			return table.Str(strs[rng.IntN(len(strs))])
		}
		return table.Int(rng.Int64N(2000) - 1000)
	}
	loc, _ := time.LoadLocation("Asia/Kolkata")
	for _, c := range calls {
		e, err := reg.Call(c.name, col(c.x), c.y)
		if err != nil {
			t.Logf("%s: %v", c.name, err)
			continue
		}
		call, ok := e.(*Call)
		if !ok {
			continue
		}
		env := newEnv(nil)
		env.Loc = loc
		fast, err1 := (&compiler{env: env}).compileCall(call)
		slow, err2 := (&compiler{env: env, noColConst: true}).compileCall(call)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("%s: compile errors %v and %v", e, err1, err2)
		}
		if err1 != nil {
			continue
		}
		for range 300 {
			fs := make([]table.Value, len(cols))
			for i := range fs {
				fs[i] = val(i)
			}
			r := table.Row{Fields: fs}
			v1, e1 := fast.p(&r)
			v2, e2 := slow.p(&r)
			if (e1 == nil) != (e2 == nil) || (e1 != nil && e1.Error() != e2.Error()) {
				t.Fatalf("%s on %v: errors %v and %v (generic)", e, fs, e1, e2)
			}
			if e1 == nil && (v1.IsNull() != v2.IsNull() || !v1.IsNull() && table.Compare(v1, v2) != 0) {
				t.Fatalf("%s on %v: %v, generic %v", e, fs, v1, v2)
			}
		}
	}
}
