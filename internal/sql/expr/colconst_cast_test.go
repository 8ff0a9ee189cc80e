package expr

import (
	"math/rand/v2"
	"testing"

	"github.com/stromio/strom/table"
)

// TestColConstThroughIdentityCast: a two-argument call of an identity cast
// of a column (a VARCHAR(1) widened to STRING, an INT to INT) and a
// constant reads the column in line and gives the generic call's values
// and errors; a cast that changes the value (VARCHAR(40) to VARCHAR(2),
// BIGINT to INT) is not read in line.
func TestColConstThroughIdentityCast(t *testing.T) {
	v1, v40 := table.VarCharType(1), table.VarCharType(40)
	type tc struct {
		name   string
		x      Expr
		y      Expr
		inline bool
	}
	cast := func(x Expr, to table.Type) Expr {
		c, err := NewCast(x, to, false)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []tc{
		{"||", cast(ColumnRef(0, "s", v1), table.StringType()), StrLit("x"), true},
		{"LEFT", cast(ColumnRef(1, "s40", v40), table.StringType()), IntLit(2), true},
		{"LEFT", cast(ColumnRef(1, "s40", v40), table.VarCharType(2)), IntLit(1), false},
		{"MOD", cast(ColumnRef(2, "b", table.BigIntType()), table.IntType()), IntLit(7), false},
	}
	rng := rand.New(rand.NewPCG(1, 7))
	strs := []string{"", "a", "abc", "héllo wörld", "a much longer text than one character"}
	for _, c := range cases {
		e, err := reg.Call(c.name, c.x, c.y)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		call := e.(*Call)
		env := newEnv(nil)
		yn, err := (&compiler{env: env}).compile(call.Args[1])
		if err != nil {
			t.Fatal(err)
		}
		if got := colConst(call.Args[0], yn, !call.Overload.NonStrict) >= 0; got != c.inline {
			t.Errorf("%s: read in line %v, want %v", e, got, c.inline)
		}
		fast, err1 := (&compiler{env: env}).compileCall(call)
		slow, err2 := (&compiler{env: env, noColConst: true}).compileCall(call)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		for range 500 {
			fs := []table.Value{table.Str(strs[rng.IntN(len(strs))]), table.Str(strs[rng.IntN(len(strs))]), table.Int(rng.Int64())}
			if rng.IntN(5) == 0 {
				fs[rng.IntN(3)] = table.Null
			}
			if rng.IntN(20) == 0 {
				fs = fs[:rng.IntN(3)]
			}
			r := table.Row{Fields: fs}
			a, ea := fast.p(&r)
			b, eb := slow.p(&r)
			if (ea == nil) != (eb == nil) || ea != nil && ea.Error() != eb.Error() || a.Kind() != b.Kind() || table.Compare(a, b) != 0 {
				t.Fatalf("%s on %v: %v %v, generic %v %v", e, fs, a, ea, b, eb)
			}
		}
	}
}

// BenchmarkColConstCast: LEFT(CAST(s AS STRING), 2) of a VARCHAR(1)
// column (the shape of q14's count_char(extra, 'c')) read in line and
// through the generic argument programs.
func BenchmarkColConstCast(b *testing.B) {
	c, err := NewCast(ColumnRef(0, "s", table.VarCharType(1)), table.StringType(), false)
	if err != nil {
		b.Fatal(err)
	}
	e, err := reg.Call("LEFT", c, IntLit(2))
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]table.Row, 1024)
	for i := range rows {
		rows[i] = table.NewRow(table.Str("some extra text of a bid"))
	}
	for _, generic := range []bool{true, false} {
		name := "inline"
		if generic {
			name = "generic"
		}
		b.Run(name, func(b *testing.B) {
			n, err := (&compiler{env: newEnv(nil), noColConst: generic}).compileCall(e.(*Call))
			if err != nil {
				b.Fatal(err)
			}
			cpu0 := cpuNanos()
			i := 0
			for b.Loop() {
				if _, err := n.p(&rows[i&1023]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
