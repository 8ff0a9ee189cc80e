package planner

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/stromio/strom/table"
)

// TestFastKeyOf checks that the fast key function writes the bytes of the
// RowCodec encoding (the persisted key format).
func TestFastKeyOf(t *testing.T) {
	types := []table.Type{table.BigIntType(), table.StringType(), table.TimestampType(3), table.IntType()}
	keys := []int{2, 0, 1, 3}
	c := table.NewRowCodecTypes(table.TimestampType(3), table.BigIntType(), table.StringType(), table.IntType())
	slow := func(r table.Row) string {
		vs := make([]table.Value, len(keys))
		for i, k := range keys {
			vs[i] = r.Fields[k]
		}
		b, err := c.AppendRow(nil, table.Row{Fields: vs})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	fast := fastKeyOf([]table.Type{types[2], types[0], types[1], types[3]}, keys, slow)
	if fast == nil {
		t.Fatal("no fast key function")
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	val := func(col int) table.Value {
		if rnd.IntN(5) == 0 {
			return table.Null
		}
		switch col {
		case 0, 3:
			return table.Int(rnd.Int64() >> rnd.IntN(64))
		case 1:
			return table.Str(strings.Repeat("x", rnd.IntN(100)))
		}
		return table.TimestampMillis(rnd.Int64N(1 << 45))
	}
	for range 2000 {
		r := table.NewRow(val(0), val(1), val(2), val(3))
		if got, want := fast(r), slow(r); got != want {
			t.Fatalf("%v: %x, want %x", r.Fields, got, want)
		}
	}
	if fastKeyOf([]table.Type{table.DoubleType()}, []int{0}, slow) != nil {
		t.Error("a fast key of a DOUBLE")
	}
}

// TestIntKeyOf checks the cached key function of one integer column
// against the RowCodec encoding: repeated, colliding (equal low bits),
// extreme, negative and NULL keys, from several goroutines at once (the
// function is shared by the subtasks of a keyBy). It also checks that the
// function is the cache: a key seen just before is returned again, the
// same string (the uncached encoder makes a new one each call).
func TestIntKeyOf(t *testing.T) {
	for _, typ := range []table.Type{table.BigIntType(), table.IntType()} {
		c := table.NewRowCodecTypes(typ)
		slow := func(r table.Row) string {
			b, err := c.AppendRow(nil, table.Row{Fields: r.Fields[1:2]})
			if err != nil {
				panic(err)
			}
			return string(b)
		}
		fast := fastKeyOf([]table.Type{typ}, []int{1}, slow) // one type per key column
		if fast == nil {
			t.Fatal("no fast key function")
		}
		for _, n := range []int64{0, -1, 7, intKeyCache, math.MinInt64, math.MaxInt64} {
			r := table.NewRow(table.Str("x"), table.Int(n))
			a, b := fast(r), fast(r)
			if a != slow(r) || unsafe.StringData(a) != unsafe.StringData(b) {
				t.Fatalf("%s key %d: not returned from the cache", typ, n)
			}
		}
		done := make(chan string, 4)
		for g := range 4 {
			go func() {
				rnd := rand.New(rand.NewPCG(uint64(g), 7))
				for range 20000 {
					var v table.Value
					switch rnd.IntN(10) {
					case 0:
						v = table.Null
					case 1, 2:
						v = table.Int(rnd.Int64() >> rnd.IntN(64))
					case 3:
						v = table.Int(int64(rnd.IntN(8)-4) * intKeyCache) // equal low bits
					case 4:
						v = table.Int([]int64{math.MinInt64, math.MaxInt64, math.MinInt64 + 1, -intKeyCache, -1, 0}[rnd.IntN(6)])
					default:
						v = table.Int(int64(rnd.IntN(50)) - 25)
					}
					r := table.NewRow(table.Str("x"), v)
					if got, want := fast(r), slow(r); got != want {
						done <- fmt.Sprintf("%v: %x, want %x", v, got, want)
						return
					}
				}
				done <- ""
			}()
		}
		for range 4 {
			if msg := <-done; msg != "" {
				t.Fatal(msg)
			}
		}
	}
}

// TestLastKeyOf checks the key function of TIMESTAMP columns only, which
// returns its last key again for equal timestamps, against the RowCodec
// encoding: runs of equal keys, NULLs, from several goroutines at once.
func TestLastKeyOf(t *testing.T) {
	types := []table.Type{table.TimestampType(3), table.TimestampType(3)}
	c := table.NewRowCodecTypes(types...)
	keys := []int{2, 0}
	slow := func(r table.Row) string {
		b, err := c.AppendRow(nil, table.Row{Fields: []table.Value{r.Fields[2], r.Fields[0]}})
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	fast := fastKeyOf(types, keys, slow)
	if fast == nil {
		t.Fatal("no fast key function")
	}
	done := make(chan string, 4)
	for g := range 4 {
		go func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 9))
			ts := func() table.Value {
				if rnd.IntN(8) == 0 {
					return table.Null
				}
				return table.TimestampMillis(int64(rnd.IntN(3)) * 2000)
			}
			a, b := ts(), ts()
			for range 20000 {
				if rnd.IntN(4) == 0 {
					a, b = ts(), ts()
				}
				r := table.NewRow(b, table.Str("x"), a)
				if got, want := fast(r), slow(r); got != want {
					done <- fmt.Sprintf("%v: %x, want %x", r.Fields, got, want)
					return
				}
			}
			done <- ""
		}()
	}
	for range 4 {
		if msg := <-done; msg != "" {
			t.Fatal(msg)
		}
	}
}

// TestJoinKeyOfOneInt checks the join key of one nullable integer column
// (one function: the cache and the side's NULL key) against its
// definition: the RowCodec encoding, followed by the side when NULL; a
// value of another kind goes the slow way; hasNull is the column's NULL;
// compared by IS NOT DISTINCT FROM a NULL is an ordinary key.
func TestJoinKeyOfOneInt(t *testing.T) {
	for _, typ := range []table.Type{table.BigIntType(), table.IntType()} {
		in := &Calc{cols: []Col{{Name: "s", Type: table.StringType()}, {Name: "k", Type: typ}}}
		c := table.NewRowCodecTypes(typ)
		enc := func(v table.Value) string {
			b, err := c.AppendRow(nil, table.Row{Fields: []table.Value{v}})
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		for _, side := range []byte{'L', 'R'} {
			key, hasNull := joinKeyOf(in, []int{1}, nil, side)
			safe, safeNull := joinKeyOf(in, []int{1}, []bool{true}, side)
			if hasNull == nil || safeNull != nil {
				t.Fatalf("%s: hasNull %v, NULL-safe hasNull %v", typ, hasNull != nil, safeNull != nil)
			}
			for _, v := range []table.Value{table.Null, table.Int(0), table.Int(-1), table.Int(intKeyCache),
				table.Int(math.MinInt64), table.Int(math.MaxInt64), table.Null, table.Int(7), table.Int(7)} {
				r := table.NewRow(table.Str("x"), v)
				want := enc(v)
				if v.IsNull() {
					want += string(side)
				}
				if got := key(r); got != want {
					t.Errorf("%s %c %v: %x, want %x", typ, side, v, got, want)
				}
				if hasNull(r) != v.IsNull() {
					t.Errorf("%s %c %v: hasNull %v", typ, side, v, hasNull(r))
				}
				if got := safe(r); got != enc(v) {
					t.Errorf("%s %c %v NULL-safe: %x, want %x", typ, side, v, got, enc(v))
				}
			}
		}
	}
}
