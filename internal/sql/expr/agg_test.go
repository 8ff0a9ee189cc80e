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
