package expr

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/stromio/strom/table"
)

// The simple, quadratic de-duplication the collection functions used
// before valueSet: the reference of their results.
func linearDistinct(dst, vs []table.Value) []table.Value {
next:
	for _, v := range vs {
		for _, x := range dst {
			if x.Equal(v) {
				continue next
			}
		}
		dst = append(dst, v)
	}
	return dst
}

func linearPut(keys, vals, ks, vs []table.Value) ([]table.Value, []table.Value) {
next:
	for i, k := range ks {
		for j, x := range keys {
			if x.Equal(k) {
				vals[j] = vs[i]
				continue next
			}
		}
		keys, vals = append(keys, k), append(vals, vs[i])
	}
	return keys, vals
}

// largeValues is n values of type t with many duplicates and NULLs: DECIMALs
// of two scales (1.5 and 1.50 are equal), floats with -0, 0 and NaN,
// strings, nested arrays.
func largeValues(rng *rand.Rand, t table.Type, n int) []table.Value {
	out := make([]table.Value, n)
	for i := range out {
		k := rng.Intn(n / 4)
		if rng.Intn(20) == 0 {
			out[i] = table.Null
			continue
		}
		switch t.Root() {
		case table.RootInt:
			out[i] = table.Int(int64(k))
		case table.RootDecimal:
			s := fmt.Sprintf("%d.%d", k/10, k%10)
			if rng.Intn(2) == 0 {
				s += "0"
			}
			d, err := table.ParseDecimal(s)
			if err != nil {
				panic(err)
			}
			out[i] = table.DecimalValue(d)
		case table.RootDouble:
			switch rng.Intn(10) {
			case 0:
				out[i] = table.Float(math.Copysign(0, -1))
			case 1:
				out[i] = table.Float(0)
			case 2:
				out[i] = table.Float(math.NaN())
			default:
				out[i] = table.Float(float64(k) / 4)
			}
		case table.RootVarChar:
			out[i] = table.Str(fmt.Sprintf("s%d", k))
		case table.RootArray:
			out[i] = table.Array([]table.Value{table.Int(int64(k % 7)), table.Int(int64(k % 5))})
		default:
			panic(t)
		}
	}
	return out
}

// TestCollectionFunctionsLarge: ARRAY_DISTINCT, ARRAY_UNION, MAP[...],
// MAP_FROM_ARRAYS and MAP_UNION over large collections (hashed
// de-duplication) give what the simple linear scans give.
func TestCollectionFunctionsLarge(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const n = 2000
	types := []table.Type{table.IntType(), table.DecimalType(10, 2), table.DoubleType(), table.StringType(), table.ArrayType(table.IntType())}
	eval := func(e Expr) table.Value {
		t.Helper()
		p, err := Compile(e)
		if err != nil {
			t.Fatalf("%s: %v", e.Type(), err)
		}
		v, err := p(collRow())
		if err != nil {
			t.Fatalf("%v", err)
		}
		return v
	}
	same := func(what string, got, want table.Value) {
		t.Helper()
		if g, w := got.String(), want.String(); g != w {
			t.Errorf("%s: hashed and linear results differ (%d and %d chars)", what, len(g), len(w))
		}
	}
	for _, et := range types {
		at := table.ArrayType(et)
		a, b := largeValues(rng, et, n), largeValues(rng, et, n)
		vals := largeValues(rng, table.IntType(), n)
		la, lb, lv := Lit(table.Array(a), at), Lit(table.Array(b), at), Lit(table.Array(vals), table.ArrayType(table.IntType()))

		same(et.String()+" ARRAY_DISTINCT", eval(call("ARRAY_DISTINCT", la)), table.Array(linearDistinct(nil, a)))
		same(et.String()+" ARRAY_UNION", eval(call("ARRAY_UNION", la, lb)), table.Array(linearDistinct(linearDistinct(nil, a), b)))

		keys, mv := linearPut(nil, nil, a, vals)
		same(et.String()+" MAP_FROM_ARRAYS", eval(call("MAP_FROM_ARRAYS", la, lv)), table.Map(keys, mv))
		m1 := Lit(table.Map(keys, mv), table.MapType(et, table.IntType()))
		keys2, mv2 := linearPut(nil, nil, b, vals)
		m2 := Lit(table.Map(keys2, mv2), table.MapType(et, table.IntType()))
		uk, uv := linearPut(append([]table.Value(nil), keys...), append([]table.Value(nil), mv...), keys2, mv2)
		same(et.String()+" MAP_UNION", eval(call("MAP_UNION", m1, m2)), table.Map(uk, uv))

		var args []Expr
		for i := range 200 {
			args = append(args, Lit(a[i], et), Lit(vals[i], table.IntType()))
		}
		ck, cv := linearPut(nil, nil, a[:200], vals[:200])
		same(et.String()+" MAP[...]", eval(call(MapCtor, args...)), table.Map(ck, cv))
	}
}

// TestValueSetLinear: adding n distinct values takes O(n) Equal calls, not
// O(n^2) (RELIABILITY S8; counted, not timed).
func TestValueSetLinear(t *testing.T) {
	const n = 10000
	s := newValueSet(0)
	for i := range n {
		v := table.Int(int64(i))
		if s.find(v) >= 0 {
			t.Fatalf("%d found before it was added", i)
		}
		s.add(v)
	}
	for i := range n {
		if j := s.find(table.Int(int64(i))); j != i {
			t.Fatalf("find(%d) = %d", i, j)
		}
	}
	if s.probes > 4*n {
		t.Errorf("%d Equal calls for %d values: quadratic", s.probes, n)
	}
}
