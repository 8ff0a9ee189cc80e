package expr

import (
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

// TestColConstMatchesGeneric compiles two-argument calls of a column and
// a constant (DATE_FORMAT of TIMESTAMP and STRING columns with several
// patterns, MOD and ROUND of integers and doubles, LEFT, REPEAT, ||, with
// a NULL constant too) with the column read in line (colConst) and
// through the generic argument programs, and checks both on random rows
// (NULLs, values that make the call fail, rows too short for the column)
// for the same value and the same error.
func TestColConstMatchesGeneric(t *testing.T) {
	ts, str, bi, dbl := table.TimestampType(3), table.StringType(), table.BigIntType(), table.DoubleType()
	cols := []table.Type{ts, str, bi, dbl}
	col := func(i int) Expr { return ColumnRef(i, "c", cols[i]) }
	type call struct {
		name string
		x    int
		y    Expr
	}
	calls := []call{
		{"DATE_FORMAT", 0, StrLit("yyyy-MM-dd")}, {"DATE_FORMAT", 0, StrLit("HH:mm:ss.SSS")},
		{"DATE_FORMAT", 0, StrLit("yyyy-MM-dd HH:mm")}, {"DATE_FORMAT", 1, StrLit("yyyy-MM-dd")},
		{"DATE_FORMAT", 0, NullLit(str)},
		{"MOD", 2, BigIntLit(7)}, {"MOD", 2, BigIntLit(0)}, {"MOD", 2, NullLit(bi)},
		{"ROUND", 3, IntLit(1)}, {"ROUND", 2, IntLit(-1)},
		{"LEFT", 1, IntLit(2)}, {"REPEAT", 1, IntLit(2)}, {"||", 1, StrLit("x")}, {"||", 1, NullLit(str)},
	}
	rng := rand.New(rand.NewPCG(3, 9))
	strs := []string{"", "a", "2026-12-06 07:00:00", "2026-12-06", "héllo", "not a date"}
	val := func(i int) table.Value {
		if rng.IntN(6) == 0 {
			return table.Null
		}
		switch i {
		case 0:
			return table.TimestampMillis(rng.Int64N(4_000_000_000_000) - 1_000_000_000_000)
		case 1:
			return table.Str(strs[rng.IntN(len(strs))])
		case 2:
			return table.Int(rng.Int64N(2000) - 1000)
		}
		return table.Float(rng.Float64()*200 - 100)
	}
	fused := 0
	for _, c := range calls {
		e, err := reg.Call(c.name, col(c.x), c.y)
		if err != nil {
			continue // no such overload: nothing to compare
		}
		call, ok := e.(*Call)
		if !ok {
			continue
		}
		env := newEnv(nil)
		fast, err1 := (&compiler{env: env}).compileCall(call)
		slow, err2 := (&compiler{env: env, noColConst: true}).compileCall(call)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("%s: compile errors %v and %v", e, err1, err2)
		}
		if err1 != nil {
			continue
		}
		y := c.y.(*Literal).V
		f, err := call.Overload.Impl(&Bound{Name: call.Name, Params: []table.Type{call.Args[0].Type(), call.Args[1].Type()},
			Result: call.T, Consts: []*table.Value{nil, &y}, Env: env})
		if err == nil && f.F2 != nil && colConst(call.Args[0], node{constant: true, v: y}, !call.Overload.NonStrict) >= 0 {
			fused++
		}
		for range 300 {
			fs := make([]table.Value, len(cols))
			for i := range fs {
				fs[i] = val(i)
			}
			if rng.IntN(20) == 0 {
				fs = fs[:c.x] // too short for the column
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
	t.Logf("%d calls through the column-constant path", fused)
	if fused < 3 {
		t.Fatalf("only %d calls took the column-constant path", fused)
	}
}

// BenchmarkColConst: q15-q17's DATE_FORMAT(dateTime, 'yyyy-MM-dd') (its
// cache hit) with the column read in line and through the generic
// argument programs.
func BenchmarkColConst(b *testing.B) {
	e, err := reg.Call("DATE_FORMAT", ColumnRef(0, "dateTime", table.TimestampType(3)), StrLit("yyyy-MM-dd"))
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]table.Row, 1024)
	for i := range rows {
		rows[i] = table.NewRow(table.TimestampMillis(1_800_000_000_000 + int64(i)*1000))
	}
	for _, generic := range []bool{false, true} {
		name := "inline"
		if generic {
			name = "generic"
		}
		b.Run(name, func(b *testing.B) {
			n, err := (&compiler{env: newEnv(nil), noColConst: generic}).compileCall(e.(*Call))
			if err != nil {
				b.Fatal(err)
			}
			for i := range b.N {
				if _, err := n.p(&rows[i%len(rows)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
