package expr

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

// aggStep is one Add (or Retract) of one row's arguments.
type aggStep struct {
	retract bool
	args    []table.Value
}

func add(vs ...table.Value) aggStep     { return aggStep{args: vs} }
func retract(vs ...table.Value) aggStep { return aggStep{retract: true, args: vs} }

// aggSteps runs the steps from a fresh accumulator through the row codec
// after each (as keyed state does) and returns the result.
func aggSteps(t *testing.T, f AggregateFunc, steps []aggStep) table.Value {
	t.Helper()
	c := table.NewRowCodecTypes(f.AccTypes()...)
	acc := make([]table.Value, len(f.AccTypes()))
	f.Init(acc)
	for _, s := range steps {
		var err error
		if s.retract {
			err = f.Retract(acc, s.args)
		} else {
			err = f.Add(acc, s.args)
		}
		if err != nil {
			t.Fatalf("%s: %v", f.Name(), err)
		}
		back, err := c.Decode(c.Append(nil, table.NewRow(acc...)))
		if err != nil {
			t.Fatalf("%s: accumulator codec: %v", f.Name(), err)
		}
		acc = back.Fields
	}
	res, err := f.Result(acc)
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsNull() && res.Kind() != table.KindOf(f.ResultType()) {
		t.Fatalf("%s: result kind %s for %s", f.Name(), res.Kind(), f.ResultType())
	}
	return res
}

func strs(ss ...string) []aggStep {
	out := make([]aggStep, len(ss))
	for i, s := range ss {
		if s == "NULL" {
			out[i] = add(table.Null)
		} else {
			out[i] = add(table.Str(s))
		}
	}
	return out
}

func TestMoreAggregates(t *testing.T) {
	S, I := table.StringType(), table.IntType()
	sep := func(s, sp string) aggStep { return add(table.Str(s), table.Str(sp)) }
	ints := func(vs ...int64) []aggStep {
		out := make([]aggStep, len(vs))
		for i, v := range vs {
			out[i] = add(table.Int(v))
		}
		return out
	}
	decs := func(vs ...int64) []aggStep { // hundredths
		out := make([]aggStep, len(vs))
		for i, v := range vs {
			out[i] = add(table.Dec(v, 2))
		}
		return out
	}
	for _, c := range []struct {
		name    string
		arg     []table.Type
		steps   []aggStep
		want    string
		resType string
	}{
		// LISTAGG: NULLs skipped, ',' by default, NULL over nothing.
		{"LISTAGG", []table.Type{S}, strs("a", "NULL", "b", "a"), "'a,b,a'", "STRING"},
		{"LISTAGG", []table.Type{S}, strs("NULL"), "NULL", "STRING"},
		{"LISTAGG", []table.Type{S, S}, []aggStep{sep("a", "|"), sep("b", "|")}, "'a|b'", "STRING"},
		{"LISTAGG", []table.Type{S, S}, []aggStep{sep("a", "-"), sep("b", "+"), sep("c", "+")}, "'a+b+c'", "STRING"}, // the last separator
		{"LISTAGG", []table.Type{S}, append(strs("a", "b", "a"), retract(table.Str("a"))), "'b,a'", "STRING"},
		// A retraction before its addition cancels it.
		{"LISTAGG", []table.Type{S}, append([]aggStep{retract(table.Str("x"))}, strs("a", "x")...), "'a'", "STRING"},
		{"LISTAGG", []table.Type{S}, append(strs("a"), retract(table.Str("a"))), "NULL", "STRING"},
		// FIRST_VALUE / LAST_VALUE: non-NULL values in arrival order.
		{"FIRST_VALUE", []table.Type{S}, strs("NULL", "b", "a"), "'b'", "STRING"},
		{"LAST_VALUE", []table.Type{S}, strs("b", "a", "NULL"), "'a'", "STRING"},
		{"FIRST_VALUE", []table.Type{I}, nil, "NULL", "INT"},
		{"LAST_VALUE", []table.Type{I.NotNull()}, ints(3, 1, 2), "2", "INT"},
		// The retracting forms take back the earliest occurrence.
		{"FIRST_VALUE_RETRACT", []table.Type{S}, append(strs("a", "b", "a"), retract(table.Str("a"))), "'b'", "STRING"},
		{"LAST_VALUE_RETRACT", []table.Type{S}, append(strs("a", "b", "a"), retract(table.Str("a"))), "'a'", "STRING"},
		{"LAST_VALUE_RETRACT", []table.Type{S}, append(strs("a", "b"), retract(table.Str("b"))), "'a'", "STRING"},
		{"FIRST_VALUE_RETRACT", []table.Type{S}, append(strs("a"), retract(table.Str("a"))), "NULL", "STRING"},
		{"LAST_VALUE_RETRACT", []table.Type{S}, append(strs("a", "NULL"), retract(table.Null)), "'a'", "STRING"},
		// Variances of integers in their own (wrapping) arithmetic, with
		// Flink's rewrite: x = 1, 2, 4: SUM(x*x) 21, SUM(x) 7, n 3.
		{"VAR_POP", []table.Type{I}, ints(1, 2, 4), "1", "INT"},    // (21 - 49/3) / 3 = (21 - 16) / 3
		{"VAR_SAMP", []table.Type{I}, ints(1, 2, 4), "2", "INT"},   // 5 / 2
		{"VARIANCE", []table.Type{I}, ints(1, 2, 4), "2", "INT"},   // VAR_SAMP
		{"STDDEV_POP", []table.Type{I}, ints(1, 2, 4), "1", "INT"}, // CAST(POWER(1, 0.5) AS INT)
		{"STDDEV_SAMP", []table.Type{I}, ints(1, 2, 4), "1", "INT"},
		{"STDDEV", []table.Type{I}, ints(1, 2, 4), "1", "INT"},
		{"VAR_SAMP", []table.Type{I}, ints(5), "NULL", "INT"}, // one value: / NULL
		{"VAR_POP", []table.Type{I}, ints(5), "0", "INT"},
		{"VAR_POP", []table.Type{I}, nil, "NULL", "INT"},
		{"VAR_POP", []table.Type{I}, append(ints(1, 2, 4, 100), retract(table.Int(100))), "1", "INT"},
		// TINYINT squares wrap: 100*100 -> 16, 50*50 -> -60, SUM(x) 150 -> -106.
		{"VAR_POP", []table.Type{table.TinyIntType()}, ints(100, 50), "-15", "TINYINT"},
		{"VAR_POP", []table.Type{table.BigIntType()}, ints(2, 4, 4, 4, 5, 5, 7, 9), "4", "BIGINT"},
		{"STDDEV_POP", []table.Type{table.BigIntType()}, ints(2, 4, 4, 4, 5, 5, 7, 9), "2", "BIGINT"},
		// DECIMAL(p, s): DECIMAL(38, max(6, s)).
		{"VAR_POP", []table.Type{table.DecimalType(10, 2)}, decs(100, 200, 400), "1.555556", "DECIMAL(38, 6)"}, // 14/9
		{"VAR_SAMP", []table.Type{table.DecimalType(10, 2)}, decs(100, 200, 400), "2.333333", "DECIMAL(38, 6)"},
		{"STDDEV_SAMP", []table.Type{table.DecimalType(10, 2)}, decs(100, 200, 400), "1.527525", "DECIMAL(38, 6)"},
		{"STDDEV_POP", []table.Type{table.DecimalType(20, 8)}, decs(100, 300), "1.00000000", "DECIMAL(38, 8)"},
	} {
		f, err := NewAggregate(c.name, c.arg)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := f.ResultType().String(); got != c.resType {
			t.Errorf("%s(%v): type %s, want %s", c.name, c.arg, got, c.resType)
		}
		if got := aggSteps(t, f, c.steps).String(); got != c.want {
			t.Errorf("%s(%v) = %s, want %s", c.name, c.arg, got, c.want)
		}
	}
}

// TestVarianceDouble checks the DOUBLE forms against a two-pass
// computation of the same statistics.
func TestVarianceDouble(t *testing.T) {
	xs := []float64{2.5, -1, 3.75, 10, 0.125, 7}
	mean := 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	ss := 0.0
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	n := float64(len(xs))
	want := map[string]float64{
		"VAR_POP": ss / n, "VAR_SAMP": ss / (n - 1), "STDDEV_POP": math.Sqrt(ss / n), "STDDEV_SAMP": math.Sqrt(ss / (n - 1)),
	}
	var steps []aggStep
	for _, x := range xs {
		steps = append(steps, add(table.Float(x)), add(table.Null))
	}
	steps = append(steps, add(table.Float(99)), retract(table.Float(99)))
	for name, w := range want {
		f, err := NewAggregate(name, []table.Type{table.DoubleType()})
		if err != nil {
			t.Fatal(err)
		}
		if f.ResultType().String() != "DOUBLE" {
			t.Errorf("%s: type %s", name, f.ResultType())
		}
		got := aggSteps(t, f, steps).AsFloat()
		if math.Abs(got-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	f, _ := NewAggregate("STDDEV_SAMP", []table.Type{table.FloatType()})
	if f.ResultType().String() != "FLOAT" {
		t.Errorf("STDDEV_SAMP(FLOAT) is %s, want FLOAT (Flink's findAvgAggType)", f.ResultType())
	}
}

// TestMoreAggregatesMerge: merging the accumulators of a split input (the
// earlier part first, as the window operators merge) gives the result of
// the whole input.
func TestMoreAggregatesMerge(t *testing.T) {
	S := table.StringType()
	for _, c := range []struct {
		name  string
		arg   []table.Type
		steps []aggStep
	}{
		{"LISTAGG", []table.Type{S}, append(strs("a", "b", "NULL", "c", "d"), retract(table.Str("b")))},
		{"FIRST_VALUE", []table.Type{S}, strs("NULL", "a", "b", "c")},
		{"LAST_VALUE", []table.Type{S}, strs("a", "b", "c", "NULL")},
		{"FIRST_VALUE_RETRACT", []table.Type{S}, append(strs("a", "b", "c"), retract(table.Str("a")))},
		{"LAST_VALUE_RETRACT", []table.Type{S}, append(strs("a", "b", "c"), retract(table.Str("c")))},
		{"VAR_SAMP", []table.Type{table.IntType()}, []aggStep{add(table.Int(1)), add(table.Int(5)), add(table.Int(9)), add(table.Int(2))}},
		{"STDDEV_POP", []table.Type{table.DecimalType(5, 1)}, []aggStep{add(table.Dec(15, 1)), add(table.Dec(-5, 1)), add(table.Dec(40, 1))}},
		{"VAR_POP", []table.Type{table.DoubleType()}, []aggStep{add(table.Float(1.5)), add(table.Float(2.5)), add(table.Float(6))}},
	} {
		f, err := NewAggregate(c.name, c.arg)
		if err != nil {
			t.Fatal(err)
		}
		whole := aggSteps(t, f, c.steps)
		for cut := 0; cut <= len(c.steps); cut++ {
			a := make([]table.Value, len(f.AccTypes()))
			b := make([]table.Value, len(f.AccTypes()))
			f.Init(a)
			f.Init(b)
			for i, s := range c.steps {
				acc := a
				if i >= cut {
					acc = b
				}
				if s.retract {
					_ = f.Retract(acc, s.args)
				} else {
					_ = f.Add(acc, s.args)
				}
			}
			if err := f.Merge(a, b); err != nil {
				t.Fatal(err)
			}
			got, _ := f.Result(a)
			if !got.Equal(whole) && !(got.IsNull() && whole.IsNull()) {
				t.Errorf("%s split at %d: merged %s, whole %s", c.name, cut, got, whole)
			}
		}
	}
}

func TestMoreAggregateErrors(t *testing.T) {
	fv, _ := NewAggregate("FIRST_VALUE", []table.Type{table.IntType()})
	if fv.CanRetract() || !errors.Is(fv.Retract(make([]table.Value, 1), []table.Value{table.Int(1)}), ErrNoRetract) {
		t.Error("FIRST_VALUE over an append-only input retracts")
	}
	for _, c := range []struct {
		name string
		args []table.Type
		want string
	}{
		{"LISTAGG", []table.Type{table.IntType()}, "no overload of LISTAGG for (INT); candidates: LISTAGG(STRING); LISTAGG(STRING, STRING separator)"},
		{"LISTAGG", []table.Type{table.StringType(), table.IntType()}, "no overload of LISTAGG"},
		{"LISTAGG", nil, "no overload of LISTAGG"},
		{"STDDEV_POP", []table.Type{table.StringType()}, "no overload of STDDEV_POP for (STRING); candidates: STDDEV_POP(NUMERIC)"},
		{"VAR_SAMP", []table.Type{table.IntType(), table.IntType()}, "no overload of VAR_SAMP"},
		{"FIRST_VALUE", nil, "FIRST_VALUE takes one argument"},
	} {
		_, err := NewAggregate(c.name, c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s(%v): %v, want %q", c.name, c.args, err, c.want)
		}
	}
}

// allocBytes returns the bytes f allocates.
func allocBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The list accumulators append in place to an accumulator their caller
// owns (an OVER frame, MATCH_RECOGNIZE, a window's buffer): n Adds
// allocate O(n) bytes, not a copy of the list per Add (O(n²): 4096 Adds
// of LISTAGG copied 200 MB), and taking back the earliest value, as a
// bounded OVER frame does, reslices. Bounded by bytes, not time.
func TestListAccumulatorsAppendInPlace(t *testing.T) {
	const n = 4096
	S := table.StringType().NotNull()
	vals := make([]table.Value, n)
	keys := make([]table.Value, n)
	for i := range vals {
		vals[i] = table.Str(fmt.Sprintf("value-%d", i))
		keys[i] = table.Str(fmt.Sprintf("k%d", i))
	}
	mk := func(name string) AggregateFunc {
		switch name {
		case "JSON_ARRAYAGG":
			f, err := NewJSONAggregate(name, "", false, []table.Type{S})
			if err != nil {
				t.Fatal(err)
			}
			return f
		case "JSON_OBJECTAGG":
			f, err := NewJSONAggregate(name, "", false, []table.Type{S, S})
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		f, err := NewAggregate(name, []table.Type{S})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, name := range []string{"LISTAGG", "FIRST_VALUE_RETRACT", "LAST_VALUE_RETRACT", "JSON_ARRAYAGG", "JSON_OBJECTAGG", "ARRAY_AGG"} {
		f := mk(name)
		acc := make([]table.Value, len(f.AccTypes()))
		f.Init(acc)
		args := make([]table.Value, 2)
		step := func(i int, retract bool) {
			args[0], args[1] = vals[i], vals[i]
			if name == "JSON_OBJECTAGG" {
				args[0] = keys[i]
			}
			var err error
			if retract {
				err = f.Retract(acc, args)
			} else {
				err = f.Add(acc, args)
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		adds := allocBytes(func() {
			for i := 0; i < n; i++ {
				step(i, false)
			}
		})
		// A copy per Add is 24 bytes × n²/2 = 200 MB (twice that for
		// JSON_OBJECTAGG's key and value); in place, the doubling array
		// and the values' texts are a few hundred bytes per Add.
		if limit := uint64(1024 * n); adds > limit {
			t.Errorf("%s: %d Adds allocated %d bytes, want at most %d (linear)", name, n, adds, limit)
		}
		if name == "JSON_OBJECTAGG" {
			continue // its Retract takes a key back from anywhere (a copy)
		}
		retracts := allocBytes(func() {
			for i := 0; i < n; i++ {
				step(i, true)
			}
		})
		if limit := uint64(1024 * n); retracts > limit {
			t.Errorf("%s: %d Retracts of the earliest value allocated %d bytes, want at most %d (linear)", name, n, retracts, limit)
		}
		if len(acc[0].Elems()) != 0 {
			t.Errorf("%s: %d values left", name, len(acc[0].Elems()))
		}
	}
}

// arrayAggRun runs ARRAY_AGG's steps (+x adds, -x retracts; nil is NULL)
// and returns the result and the accumulator after a codec round trip.
func arrayAggRun(t *testing.T, f AggregateFunc, steps ...any) (table.Value, []table.Value) {
	t.Helper()
	acc := make([]table.Value, len(f.AccTypes()))
	f.Init(acc)
	for _, st := range steps {
		var v table.Value = table.Null
		retract := false
		switch x := st.(type) {
		case int:
			v, retract = table.Int(int64(max(x, -x))), x < 0
		case string: // "-" retracts NULL, "+" adds it
			retract = x == "-"
		}
		var err error
		if retract {
			err = f.Retract(acc, []table.Value{v})
		} else {
			err = f.Add(acc, []table.Value{v})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	c := table.NewRowCodecTypes(f.AccTypes()...)
	back, err := c.Decode(c.Append(nil, table.NewRow(acc...)))
	if err != nil {
		t.Fatalf("accumulator codec: %v", err)
	}
	res, err := f.Result(back.Fields)
	if err != nil {
		t.Fatal(err)
	}
	return res, back.Fields
}

// TestArrayAgg: ARRAY_AGG([ALL | DISTINCT] x [RESPECT | IGNORE NULLS]) as
// Flink 1.20: arrival order, NULLs kept unless IGNORE NULLS, NULL over no
// value; Retract takes back the earliest equal value (a retraction before
// its row waits for it); DISTINCT keeps a value once, in the order of its
// first occurrence among the values present.
func TestArrayAgg(t *testing.T) {
	I := table.IntType()
	for _, c := range []struct {
		distinct, ignore bool
		steps            []any
		want             string
	}{
		{false, false, []any{1, 2, 1}, "ARRAY[1, 2, 1]"},
		{false, false, nil, "NULL"},
		{false, false, []any{"+", 1, "+"}, "ARRAY[NULL, 1, NULL]"},
		{false, false, []any{"+"}, "ARRAY[NULL]"},
		{false, true, []any{"+", 1, "+"}, "ARRAY[1]"},
		{false, true, []any{"+"}, "NULL"},
		{false, false, []any{1, 2, 1, -1}, "ARRAY[2, 1]"},
		{false, false, []any{1, 2, -2, -1}, "NULL"},
		{false, false, []any{"+", 1, "-"}, "ARRAY[1]"},
		{false, false, []any{-5, 1, 5}, "ARRAY[1]"},        // the retraction came first
		{false, false, []any{-5, 1}, "ARRAY[1]"},           // still waiting
		{false, true, []any{"-", 1, "+"}, "ARRAY[1]"},      // IGNORE NULLS ignores NULL retractions too
		{true, false, []any{1, 2, 1, 3}, "ARRAY[1, 2, 3]"}, // first occurrences
		{true, false, []any{1, 2, 1, -1}, "ARRAY[1, 2]"},   // 1 is still there once
		{true, false, []any{1, 2, -1, 1}, "ARRAY[2, 1]"},   // 1 left and came back: at the end
		{true, false, []any{1, "+", "+", 2}, "ARRAY[1, NULL, 2]"},
		{true, true, []any{1, "+", "+", 2}, "ARRAY[1, 2]"},
		{true, false, []any{-3, 3, 3}, "ARRAY[3]"}, // count -1, 0, 1
		{true, false, []any{1, -1}, "NULL"},
	} {
		f, err := NewArrayAgg(I, c.distinct, c.ignore)
		if err != nil {
			t.Fatal(err)
		}
		if f.ResultType().String() != "ARRAY<INT>" || !f.CanRetract() {
			t.Errorf("type %s, retracts %v", f.ResultType(), f.CanRetract())
		}
		if got, _ := arrayAggRun(t, f, c.steps...); got.String() != c.want {
			t.Errorf("ARRAY_AGG(distinct %v, ignore nulls %v) of %v = %s, want %s", c.distinct, c.ignore, c.steps, got, c.want)
		}
	}
	// Merge: the lists one after the other, pending retractions of
	// either side cancelling the other's values; DISTINCT adds counts.
	for _, c := range []struct {
		distinct bool
		a, b     []any
		want     string
	}{
		{false, []any{1, 2}, []any{3, 1}, "ARRAY[1, 2, 3, 1]"},
		{false, []any{1, 2, -3}, []any{3, 4}, "ARRAY[1, 2, 4]"},
		{false, []any{1, 2}, []any{-1, 5}, "ARRAY[2, 5]"},
		{false, nil, []any{7}, "ARRAY[7]"},
		{true, []any{1, 2}, []any{2, 3, 1}, "ARRAY[1, 2, 3]"},
		{true, []any{1, 2, -3}, []any{3, 4}, "ARRAY[1, 2, 4]"},
		{true, []any{1, 2}, []any{-1}, "ARRAY[2]"},
	} {
		f, _ := NewArrayAgg(I, c.distinct, false)
		_, a := arrayAggRun(t, f, c.a...)
		_, b := arrayAggRun(t, f, c.b...)
		if err := f.Merge(a, b); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.Result(a); got.String() != c.want {
			t.Errorf("merge (distinct %v) of %v and %v = %s, want %s", c.distinct, c.a, c.b, got, c.want)
		}
	}
	if _, err := NewArrayAgg(table.NullType(), false, false); err == nil || !strings.Contains(err.Error(), "untyped NULL") {
		t.Errorf("ARRAY_AGG(NULL): %v", err)
	}
	if _, err := NewAggregate("ARRAY_AGG", []table.Type{I, I}); err == nil {
		t.Error("ARRAY_AGG of two arguments")
	}
	f, _ := NewArrayAgg(I.NotNull(), false, false)
	if f.ResultType().String() != "ARRAY<INT NOT NULL>" {
		t.Errorf("ARRAY_AGG(INT NOT NULL) is %s", f.ResultType())
	}
}

// TestArrayAggResultsDoNotShare: an emitted ARRAY_AGG result keeps its
// values while the accumulator grows in place and is merged into several
// windows' accumulators (HOP) that grow on their own; results and
// accumulators never share a backing array that is appended to later.
func TestArrayAggResultsDoNotShare(t *testing.T) {
	for _, distinct := range []bool{false, true} {
		f, _ := NewArrayAgg(table.IntType(), distinct, false)
		acc := make([]table.Value, 2)
		f.Init(acc)
		add := func(acc []table.Value, x int64) {
			if err := f.Add(acc, []table.Value{table.Int(x)}); err != nil {
				t.Fatal(err)
			}
		}
		var results []table.Value
		var wants []string
		// Windows w1 and w2 merge the same slice accumulator, then each
		// grows with its own values.
		w1, w2 := make([]table.Value, 2), make([]table.Value, 2)
		f.Init(w1)
		f.Init(w2)
		for x := int64(1); x <= 40; x++ {
			add(acc, x)
			r, _ := f.Result(acc)
			results, wants = append(results, r), append(wants, r.String())
			if x == 20 {
				_ = f.Merge(w1, acc)
				_ = f.Merge(w2, acc)
			}
		}
		for x := int64(100); x < 110; x++ {
			add(w1, x)
			add(w2, -x+1000)
		}
		r1, _ := f.Result(w1)
		r2, _ := f.Result(w2)
		for i, r := range results {
			if r.String() != wants[i] {
				t.Fatalf("distinct %v: result %d changed to %s, was %s", distinct, i, r, wants[i])
			}
		}
		if e := r1.Elems(); len(e) != 30 || e[19].AsInt() != 20 || e[20].AsInt() != 100 {
			t.Errorf("distinct %v: window 1 %s", distinct, r1)
		}
		if e := r2.Elems(); len(e) != 30 || e[19].AsInt() != 20 || e[20].AsInt() != 900 {
			t.Errorf("distinct %v: window 2 %s", distinct, r2)
		}
		if r, _ := f.Result(acc); len(r.Elems()) != 40 {
			t.Errorf("distinct %v: the slice accumulator %s", distinct, r)
		}
	}
}
