package expr

import (
	"errors"
	"testing"

	"github.com/stromio/strom/table"
)

// aggRun adds the values (retracting those marked), then returns the
// result and checks that the accumulator survives the row codec.
func aggRun(t *testing.T, f AggregateFunc, adds []table.Value, retracts []table.Value) table.Value {
	t.Helper()
	acc := make([]table.Value, len(f.AccTypes()))
	f.Init(acc)
	for _, v := range adds {
		args := []table.Value{v}
		if v.Kind() == table.KindNull && f.Name() == "COUNT(*)" {
			args = nil
		}
		if err := f.Add(acc, args); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range retracts {
		if err := f.Retract(acc, []table.Value{v}); err != nil {
			t.Fatal(err)
		}
	}
	c := table.NewRowCodecTypes(f.AccTypes()...)
	back, err := c.Decode(c.Append(nil, table.NewRow(acc...)))
	if err != nil {
		t.Fatalf("%s: accumulator codec: %v", f.Name(), err)
	}
	res, err := f.Result(back.Fields)
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsNull() && res.Kind() != table.KindOf(f.ResultType()) {
		t.Fatalf("%s: result kind %s for %s", f.Name(), res.Kind(), f.ResultType())
	}
	return res
}

func TestAggregates(t *testing.T) {
	ints := []table.Value{table.Int(3), table.Null, table.Int(5), table.Int(10)}
	decs := []table.Value{table.Dec(150, 2), table.Dec(275, 2), table.Null}
	for _, c := range []struct {
		name     string
		arg      []table.Type
		adds     []table.Value
		retracts []table.Value
		want     string
		resType  string
	}{
		{"COUNT", []table.Type{table.IntType()}, ints, nil, "3", "BIGINT NOT NULL"},
		{"COUNT", nil, ints, nil, "4", "BIGINT NOT NULL"},
		{"COUNT", []table.Type{table.IntType()}, ints, []table.Value{table.Int(3)}, "2", "BIGINT NOT NULL"},
		{"SUM", []table.Type{table.IntType()}, ints, nil, "18", "INT"},
		{"SUM", []table.Type{table.IntType()}, ints, []table.Value{table.Int(10)}, "8", "INT"},
		{"SUM", []table.Type{table.IntType()}, []table.Value{table.Null}, nil, "NULL", "INT"},
		{"SUM", []table.Type{table.IntType()}, ints, ints, "NULL", "INT"}, // all retracted
		{"SUM0", []table.Type{table.IntType()}, nil, nil, "0", "INT NOT NULL"},
		{"SUM", []table.Type{table.DecimalType(10, 2)}, decs, nil, "4.25", "DECIMAL(38, 2)"},
		{"SUM", []table.Type{table.DoubleType()}, []table.Value{table.Float(1.5), table.Float(2)}, nil, "3.5E0", "DOUBLE"},
		{"AVG", []table.Type{table.IntType()}, ints, nil, "6", "INT"}, // 18 / 3, integer division
		{"AVG", []table.Type{table.IntType()}, []table.Value{table.Int(1), table.Int(2)}, nil, "1", "INT"},
		{"AVG", []table.Type{table.DecimalType(10, 2)}, decs, nil, "2.125000", "DECIMAL(38, 6)"},
		{"AVG", []table.Type{table.DoubleType()}, []table.Value{table.Float(1), table.Float(2)}, nil, "1.5E0", "DOUBLE"},
		// FLOAT: SUM/SUM0/AVG are FLOAT (Flink's findSumAggType /
		// findAvgAggType); SUM adds in float32 (16777216 + 1 stays
		// 16777216), AVG divides a DOUBLE sum (16777217 / 2 rounded to the even
		// float32 8388608).
		{"SUM", []table.Type{table.FloatType()}, []table.Value{f32(16777216), f32(1)}, nil, "1.6777216E7", "FLOAT"},
		{"SUM", []table.Type{table.FloatType()}, []table.Value{f32(0.1), f32(0.2), f32(0.7)}, []table.Value{f32(0.7)}, "3.0000001192092896E-1", "FLOAT"},
		{"SUM0", []table.Type{table.FloatType()}, nil, nil, "0E0", "FLOAT NOT NULL"},
		{"AVG", []table.Type{table.FloatType()}, []table.Value{f32(16777216), f32(1)}, nil, "8.388608E6", "FLOAT"},
		{"AVG", []table.Type{table.FloatType()}, []table.Value{f32(0.1), f32(0.2), table.Null, f32(0.7)}, nil, "3.333333432674408E-1", "FLOAT"},
		{"MAX", []table.Type{table.FloatType()}, []table.Value{f32(0.1), f32(0.2)}, nil, "2.0000000298023224E-1", "FLOAT"},
		{"SUM", []table.Type{table.TinyIntType()}, []table.Value{table.Int(100), table.Int(100)}, nil, "-56", "TINYINT"},
		{"AVG", []table.Type{table.TinyIntType()}, []table.Value{table.Int(100), table.Int(100)}, nil, "100", "TINYINT"},
		{"SUM", []table.Type{table.SmallIntType()}, []table.Value{table.Int(30000), table.Int(30000)}, nil, "-5536", "SMALLINT"},
		{"AVG", []table.Type{table.SmallIntType()}, []table.Value{table.Int(-7), table.Int(2)}, nil, "-2", "SMALLINT"},
		{"MIN", []table.Type{table.DecimalType(5, 2)}, decs, nil, "1.50", "DECIMAL(5, 2)"},
		{"AVG", []table.Type{table.DecimalType(12, 10)}, []table.Value{table.Dec(1, 10), table.Dec(2, 10)}, nil, "0.0000000002", "DECIMAL(38, 10)"},
		{"MIN", []table.Type{table.IntType()}, ints, nil, "3", "INT"},
		{"MAX", []table.Type{table.IntType()}, ints, nil, "10", "INT"},
		{"MAX", []table.Type{table.StringType()}, []table.Value{table.Str("b"), table.Str("c"), table.Str("a")}, nil, "'c'", "STRING"},
		{"MIN", []table.Type{table.IntType()}, nil, nil, "NULL", "INT"},
		{"MIN_RETRACT", []table.Type{table.IntType()}, ints, []table.Value{table.Int(3)}, "5", "INT"},
		{"COUNT_DISTINCT", []table.Type{table.IntType()}, append(ints, table.Int(5), table.Int(5)), nil, "3", "BIGINT NOT NULL"},
		{"COUNT_DISTINCT", []table.Type{table.IntType()}, append(ints, table.Int(5)), []table.Value{table.Int(5), table.Int(3)}, "2", "BIGINT NOT NULL"},
		{"MAX_RETRACT", []table.Type{table.IntType()}, ints, []table.Value{table.Int(10), table.Int(3)}, "5", "INT"},
		{"MAX_RETRACT", []table.Type{table.IntType()}, append(ints, table.Int(10)), []table.Value{table.Int(10)}, "10", "INT"},
		{"MIN_RETRACT", []table.Type{table.IntType()}, ints, ints, "NULL", "INT"},
		{"MIN_RETRACT", []table.Type{table.StringType()}, []table.Value{table.Str("b"), table.Str("a")}, []table.Value{table.Str("a")}, "'b'", "STRING"},
	} {
		f, err := NewAggregate(c.name, c.arg)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.ResultType().String(); got != c.resType {
			t.Errorf("%s(%v): type %s, want %s", c.name, c.arg, got, c.resType)
		}
		if got := aggRun(t, f, c.adds, c.retracts).String(); got != c.want {
			t.Errorf("%s(%v) = %s, want %s", c.name, c.arg, got, c.want)
		}
	}
	mx, _ := NewAggregate("max", []table.Type{table.IntType()})
	if mx.CanRetract() || !errors.Is(mx.Retract(make([]table.Value, 1), []table.Value{table.Int(1)}), ErrNoRetract) {
		t.Error("MAX retracts")
	}
	// Merge: two partial SUMs.
	sum, _ := NewAggregate("SUM", []table.Type{table.BigIntType()})
	a, b := make([]table.Value, 2), make([]table.Value, 2)
	sum.Init(a)
	sum.Init(b)
	_ = sum.Add(a, []table.Value{table.Int(1)})
	_ = sum.Add(b, []table.Value{table.Int(2)})
	_ = sum.Merge(a, b)
	if r, _ := sum.Result(a); r.AsInt() != 3 {
		t.Errorf("merged SUM = %v", r)
	}
	for _, bad := range []struct {
		name string
		args []table.Type
	}{{"SUM", []table.Type{table.StringType()}}, {"NOPE", []table.Type{table.IntType()}}, {"COUNT", []table.Type{table.IntType(), table.IntType()}}} {
		if _, err := NewAggregate(bad.name, bad.args); err == nil {
			t.Errorf("NewAggregate(%s, %v) succeeded", bad.name, bad.args)
		}
	}
}

func TestColumns(t *testing.T) {
	s := table.NewSchema(table.Column{Name: "a", Type: table.IntType()}, table.Column{Name: "b", Type: table.StringType()})
	cs := Columns(s)
	if len(cs) != 2 || cs[1].Index != 1 || cs[1].Name != "b" || !cs[1].T.Equal(table.StringType()) {
		t.Fatalf("Columns = %v", cs)
	}
}

// TestSingleValue: SINGLE_VALUE holds one row (NULL counts as a row), a
// second row held at once is an error naming the subquery, and a row
// taken back makes room for the next (-U before +U).
func TestSingleValue(t *testing.T) {
	f := NewSingleValue(table.IntType().NotNull(), "the scalar subquery at line 2, column 9 gave more than one row")
	if got := f.ResultType().String(); got != "INT" {
		t.Errorf("type %s, want INT (NULL over no rows)", got)
	}
	if got := aggRun(t, f, nil, nil).String(); got != "NULL" {
		t.Errorf("over no rows = %s, want NULL", got)
	}
	if got := aggRun(t, f, []table.Value{table.Int(7)}, nil).String(); got != "7" {
		t.Errorf("one row = %s, want 7", got)
	}
	if got := aggRun(t, f, []table.Value{table.Int(7)}, []table.Value{table.Int(7)}).String(); got != "NULL" {
		t.Errorf("one row retracted = %s, want NULL", got)
	}
	acc := make([]table.Value, 2)
	f.Init(acc)
	for i, step := range []struct {
		retract bool
		v       table.Value
	}{{false, table.Int(1)}, {true, table.Int(1)}, {false, table.Int(2)}, {true, table.Int(2)}, {false, table.Null}} {
		var err error
		if step.retract {
			err = f.Retract(acc, []table.Value{step.v})
		} else {
			err = f.Add(acc, []table.Value{step.v})
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if r, _ := f.Result(acc); !r.IsNull() || acc[1].AsInt() != 1 {
		t.Fatalf("after a NULL row: %v, %d rows", r, acc[1].AsInt())
	}
	err := f.Add(acc, []table.Value{table.Int(3)}) // a NULL row is a row
	if !errors.Is(err, ErrSingleValue) {
		t.Fatalf("second row: %v, want ErrSingleValue", err)
	}
	want := "the scalar subquery at line 2, column 9 gave more than one row (more than one value in agg SINGLE_VALUE): "
	if len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("error %q does not start with %q", err, want)
	}
	// Merge: one row and none, then two.
	a, b := make([]table.Value, 2), make([]table.Value, 2)
	f.Init(a)
	f.Init(b)
	_ = f.Add(b, []table.Value{table.Int(4)})
	if err := f.Merge(a, b); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.Result(a); r.AsInt() != 4 {
		t.Errorf("merged = %v, want 4", r)
	}
	if err := f.Merge(a, b); !errors.Is(err, ErrSingleValue) {
		t.Errorf("merge of two rows: %v, want ErrSingleValue", err)
	}
}

// f32 is a FLOAT value: the float32 nearest x, held as a float64.
func f32(x float64) table.Value { return table.Float(float64(float32(x))) }

// TestDistinctAggregate: SUM(DISTINCT x) over its map of value counts sees
// a value on its first occurrence and its last retraction; NULLs are no
// value; Merge adds the other's counts (a value in both counts once, a
// value whose counts cancel leaves). COUNT_DISTINCT's Inner is COUNT(x).
func TestDistinctAggregate(t *testing.T) {
	sum, err := NewAggregate("SUM", []table.Type{table.BigIntType()})
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewDistinct(sum, table.BigIntType())
	if err != nil {
		t.Fatal(err)
	}
	newAcc := func() []table.Value {
		acc := make([]table.Value, len(f.AccTypes()))
		f.Init(acc)
		return acc
	}
	step := func(acc []table.Value, v table.Value, retract bool) {
		t.Helper()
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
	result := func(acc []table.Value) string {
		t.Helper()
		v, err := f.Result(acc)
		if err != nil {
			t.Fatal(err)
		}
		return v.String()
	}
	a := newAcc()
	step(a, table.Int(5), false)
	step(a, table.Int(5), false)
	step(a, table.Null, false)
	step(a, table.Int(7), false)
	if got := result(a); got != "12" {
		t.Fatalf("5, 5, NULL, 7: %s, want 12", got)
	}
	step(a, table.Int(5), true)
	if got := result(a); got != "12" {
		t.Fatalf("one 5 retracted: %s, want 12", got)
	}
	step(a, table.Int(5), true)
	if got := result(a); got != "7" {
		t.Fatalf("both 5 retracted: %s, want 7", got)
	}
	b := newAcc()
	step(b, table.Int(7), false)
	step(b, table.Int(9), false)
	step(b, table.Int(3), true) // 3 below zero: no value
	if err := f.Merge(a, b); err != nil {
		t.Fatal(err)
	}
	if got := result(a); got != "16" {
		t.Fatalf("{7} merged with {7, 9}: %s, want 16", got)
	}
	c := newAcc()
	step(c, table.Int(9), true)
	if err := f.Merge(a, c); err != nil {
		t.Fatal(err)
	}
	if got := result(a); got != "7" {
		t.Fatalf("9 cancelled by a merge: %s, want 7", got)
	}
	cd, err := NewAggregate("COUNT_DISTINCT", []table.Type{table.StringType()})
	if err != nil {
		t.Fatal(err)
	}
	if in := cd.(DistinctAggregate).Inner(); in.Name() != "COUNT" {
		t.Fatalf("COUNT_DISTINCT's inner: %s", in.Name())
	}
}
