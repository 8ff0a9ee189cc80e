package expr

import (
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

// The collection test row: columns, so the functions run per row (calls over
// literals are folded at compile time, which the cases also cover).
var (
	tArr    = table.ArrayType(table.IntType())
	tStrArr = table.ArrayType(table.StringType())
	tMap    = table.MapType(table.StringType().NotNull(), table.IntType())
	cArr    = ColumnRef(0, "arr", tArr)                          // [1, NULL, 3, 1]
	cEmp    = ColumnRef(1, "emp", tArr)                          // []
	cNul    = ColumnRef(2, "nul", tArr)                          // NULL
	cMap    = ColumnRef(3, "m", tMap)                            // {a=1, b=NULL}
	cNest   = ColumnRef(4, "nest", table.ArrayType(tArr))        // [[1, 2], NULL, []]
	cStrs   = ColumnRef(5, "strs", tStrArr)                      // ['a', NULL, 'b']
	cIdx    = ColumnRef(6, "idx", table.IntType())               // 2
	cNulMap = ColumnRef(7, "nm", tMap)                           // NULL
	cOne    = ColumnRef(8, "one", tArr)                          // [42]
	cNI     = ColumnRef(9, "ni", table.IntType())                // NULL
	cNS     = ColumnRef(10, "ns", table.StringType())            // NULL
	cNeg    = ColumnRef(11, "neg", table.IntType().NotNull())    // -1
	cBig    = ColumnRef(12, "big", table.BigIntType().NotNull()) // 4
)

func collRow() *table.Row {
	ints := func(vs ...any) table.Value {
		out := make([]table.Value, len(vs))
		for i, v := range vs {
			if v == nil {
				out[i] = table.Null
			} else {
				out[i] = table.Int(int64(v.(int)))
			}
		}
		return table.Array(out)
	}
	r := table.NewRow(
		ints(1, nil, 3, 1), ints(), table.Null,
		table.Map([]table.Value{table.Str("a"), table.Str("b")}, []table.Value{table.Int(1), table.Null}),
		table.Array([]table.Value{ints(1, 2), table.Null, ints()}),
		table.Array([]table.Value{table.Str("a"), table.Null, table.Str("b")}),
		table.Int(2), table.Null, ints(42), table.Null, table.Null, table.Int(-1), table.Int(4),
	)
	return &r
}

func runCollCases(t *testing.T, cases []exprCase) {
	t.Helper()
	row := collRow()
	for _, c := range cases {
		p, err := Compile(c.e)
		if err != nil {
			t.Errorf("%s: compile: %v", c.e, err)
			continue
		}
		v, err := p(row)
		if want, ok := strings.CutPrefix(c.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s = %v, %v; want error %q", c.e, v, err, want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.e, err)
			continue
		}
		if got := v.String(); got != c.want {
			t.Errorf("%s = %s, want %s", c.e, got, c.want)
		}
		et := c.e.Type()
		if v.IsNull() && !et.Nullable() {
			t.Errorf("%s: NULL for the NOT NULL type %s", c.e, et)
		}
		if !v.IsNull() && v.Kind() != table.KindOf(et) {
			t.Errorf("%s: value of kind %s for type %s", c.e, v.Kind(), et)
		}
	}
}

func arr(es ...Expr) Expr   { return call(ArrayCtor, es...) }
func item(x, i Expr) Expr   { return call(ItemFunc, x, i) }
func mapOf(es ...Expr) Expr { return call(MapCtor, es...) }
func row(es ...Expr) Expr   { return call(RowCtor, es...) }

func TestCollectionConstructors(t *testing.T) {
	runCollCases(t, []exprCase{
		{arr(i(1), i(2)), "ARRAY[1, 2]"},
		{arr(i(1), cNI), "ARRAY[1, NULL]"},
		{arr(cIdx, cBig), "ARRAY[2, 4]"},           // common type BIGINT
		{arr(i(1), dec("2.5")), "ARRAY[1.0, 2.5]"}, // common type DECIMAL
		{arr(null(table.NullType()), s("x")), "ARRAY[NULL, 'x']"},
		{arr(cArr, cEmp, cNul), "ARRAY[ARRAY[1, NULL, 3, 1], ARRAY[], NULL]"},
		{mapOf(s("k"), i(1), s("j"), cNI), "MAP['k', 1, 'j', NULL]"},
		{mapOf(s("k"), i(1), s("k"), i(2)), "MAP['k', 2]"}, // the last value of a key
		{mapOf(cIdx, cArr), "MAP[2, ARRAY[1, NULL, 3, 1]]"},
		{call(RowCtor, i(1), s("x"), cNI), "ROW(1, 'x', NULL)"},
		{call(RowCtor, cArr), "ROW(ARRAY[1, NULL, 3, 1])"},
	})
	for _, c := range []struct {
		e    Expr
		want string
	}{
		{arr(i(1), cNI), "ARRAY<INT> NOT NULL"},
		{arr(i(1), i(2)), "ARRAY<INT NOT NULL> NOT NULL"},
		{mapOf(s("k"), cIdx), "MAP<STRING NOT NULL, INT> NOT NULL"},
		{call(RowCtor, i(1), cS), "ROW<`EXPR$0` INT NOT NULL, `EXPR$1` STRING NOT NULL> NOT NULL"},
		{item(cArr, i(1)), "INT"},
		{call("CARDINALITY", cArr), "INT"},
		{call("CARDINALITY", arr(i(1))), "INT NOT NULL"},
		{call("MAP_ENTRIES", cMap), "ARRAY<ROW<`key` STRING NOT NULL, `value` INT> NOT NULL>"},
	} {
		if got := c.e.Type().String(); got != c.want {
			t.Errorf("%s: type %s, want %s", c.e, got, c.want)
		}
	}
	for _, c := range []struct {
		name string
		args []Expr
	}{
		{ArrayCtor, nil},
		{ArrayCtor, []Expr{i(1), s("x")}},
		{ArrayCtor, []Expr{null(table.NullType())}},
		{MapCtor, []Expr{s("k")}},
		{MapCtor, []Expr{s("k"), i(1), i(2), i(3)}},
		{RowCtor, nil},
	} {
		if e, err := reg.Call(c.name, c.args...); err == nil {
			t.Errorf("%s binds", e)
		}
	}
	if got := arr(cA, item(cArr, cA)).String(); got != "ARRAY[`a`, `arr`[`a`]]" {
		t.Errorf("printed as %s", got)
	}
}

func TestCollectionAccess(t *testing.T) {
	runCollCases(t, []exprCase{
		{item(cArr, i(1)), "1"},
		{item(cArr, i(2)), "NULL"}, // a NULL element
		{item(cArr, i(4)), "1"},
		{item(cArr, i(5)), "NULL"}, // past the end
		{item(cArr, i(0)), "NULL"}, // before the start (a literal < 1 is a planner error)
		{item(cArr, cNeg), "NULL"},
		{item(cArr, cIdx), "NULL"},
		{item(cArr, cBig), "1"},
		{item(cArr, cNI), "NULL"},
		{item(cNul, i(1)), "NULL"},
		{item(cEmp, i(1)), "NULL"},
		{item(item(cNest, i(1)), i(2)), "2"},
		{item(item(cNest, i(2)), i(1)), "NULL"},
		{item(arr(i(10), i(20)), i(2)), "20"},
		{item(cMap, s("a")), "1"},
		{item(cMap, s("b")), "NULL"},
		{item(cMap, s("zz")), "NULL"},
		{item(cMap, cNS), "NULL"},
		{item(cNulMap, s("a")), "NULL"},
		{item(mapOf(i(1), s("x")), cIdx), "NULL"},
		{item(mapOf(i(2), s("x")), cIdx), "'x'"},
		// the key and the map's keys over their common type (the map's
		// keys cast when it is wider): never INT against DECIMAL
		{item(mapOf(i(1), s("a")), cast(i(1), table.BigIntType())), "'a'"},
		{item(mapOf(i(4), s("a")), cBig), "'a'"},
		{item(mapOf(i(1), s("a")), dec("1.0")), "'a'"},
		{item(mapOf(i(1), s("a")), dec("1.5")), "NULL"},
		{item(mapOf(dec("1.5"), s("x")), dec("1.50")), "'x'"},
		{item(mapOf(dec("1.5"), s("x")), i(2)), "NULL"},
		{item(mapOf(dec("2.0"), s("x")), i(2)), "'x'"},
		{item(mapOf(cBig, s("x")), i(4)), "'x'"},
		{item(cMap, cast(s("a"), table.CharType(1))), "1"},
		{call("CARDINALITY", cArr), "4"},
		{call("CARDINALITY", cEmp), "0"},
		{call("CARDINALITY", cNul), "NULL"},
		{call("CARDINALITY", cMap), "2"},
		{call("CARDINALITY", cNulMap), "NULL"},
		{call("CARDINALITY", cNest), "3"},
		{call("ELEMENT", cOne), "42"},
		{call("ELEMENT", cEmp), "NULL"},
		{call("ELEMENT", cNul), "NULL"},
		{call("ELEMENT", cArr), "error: at most one element, this one has 4"},
		{call("ELEMENT", arr(cNI)), "NULL"},
	})
	for _, c := range [][]Expr{{cArr, s("x")}, {cMap, cT}, {cA, i(1)}, {cArr}} {
		if e, err := reg.Call(ItemFunc, c...); err == nil {
			t.Errorf("%s binds", e)
		}
	}
	for _, f := range []string{"CARDINALITY", "ELEMENT"} {
		if e, err := reg.Call(f, cS); err == nil {
			t.Errorf("%s binds", e)
		}
	}
}

func TestArrayFunctions(t *testing.T) {
	runCollCases(t, []exprCase{
		{call("ARRAY_CONTAINS", cArr, i(3)), "TRUE"},
		{call("ARRAY_CONTAINS", cArr, i(7)), "FALSE"},
		{call("ARRAY_CONTAINS", cArr, cNI), "TRUE"}, // a NULL element
		{call("ARRAY_CONTAINS", cOne, cNI), "FALSE"},
		{call("ARRAY_CONTAINS", cEmp, i(1)), "FALSE"},
		{call("ARRAY_CONTAINS", cNul, i(1)), "NULL"},
		{call("ARRAY_CONTAINS", cNest, arr(i(1), i(2))), "TRUE"},
		{call("ARRAY_CONTAINS", cArr, cBig), "FALSE"}, // the array widened to BIGINT
		{call("ARRAY_CONTAINS", arr(dec("1.5"), dec("2.0")), i(2)), "TRUE"},
		{call("ARRAY_POSITION", cArr, cast(i(3), table.BigIntType())), "3"},
		{call("ARRAY_REMOVE", arr(i(1), i(2)), dec("1.0")), "ARRAY[2.0]"},
		{call("ARRAY_POSITION", cArr, i(1)), "1"},
		{call("ARRAY_POSITION", cArr, i(3)), "3"},
		{call("ARRAY_POSITION", cArr, i(9)), "0"},
		{call("ARRAY_POSITION", cArr, cNI), "NULL"},
		{call("ARRAY_POSITION", cNul, i(1)), "NULL"},
		{call("ARRAY_REMOVE", cArr, i(1)), "ARRAY[NULL, 3]"},
		{call("ARRAY_REMOVE", cArr, cNI), "ARRAY[1, 3, 1]"},
		{call("ARRAY_REMOVE", cEmp, i(1)), "ARRAY[]"},
		{call("ARRAY_REMOVE", cNul, i(1)), "NULL"},
		{call("ARRAY_DISTINCT", cArr), "ARRAY[1, NULL, 3]"},
		{call("ARRAY_DISTINCT", cEmp), "ARRAY[]"},
		{call("ARRAY_DISTINCT", cNul), "NULL"},
		{call("ARRAY_DISTINCT", arr(cNI, cNI)), "ARRAY[NULL]"},
		{call("ARRAY_REVERSE", cArr), "ARRAY[1, 3, NULL, 1]"},
		{call("ARRAY_REVERSE", cNest), "ARRAY[ARRAY[], NULL, ARRAY[1, 2]]"},
		{call("ARRAY_REVERSE", cNul), "NULL"},
		{call("ARRAY_SLICE", cArr, i(2), i(3)), "ARRAY[NULL, 3]"},
		{call("ARRAY_SLICE", cArr, i(2)), "ARRAY[NULL, 3, 1]"},
		{call("ARRAY_SLICE", cArr, i(0), i(1)), "ARRAY[1]"},
		{call("ARRAY_SLICE", cArr, i(-2)), "ARRAY[3, 1]"},
		{call("ARRAY_SLICE", cArr, i(-9), i(-3)), "ARRAY[1, NULL]"},
		{call("ARRAY_SLICE", cArr, i(3), i(2)), "ARRAY[]"},
		{call("ARRAY_SLICE", cArr, i(7), i(9)), "ARRAY[]"},
		{call("ARRAY_SLICE", cArr, i(2), i(99)), "ARRAY[NULL, 3, 1]"},
		{call("ARRAY_SLICE", cEmp, i(1), i(2)), "ARRAY[]"},
		{call("ARRAY_SLICE", cArr, cNI), "NULL"},
		{call("ARRAY_SLICE", cNul, i(1)), "NULL"},
		{call("ARRAY_CONCAT", cArr, cOne), "ARRAY[1, NULL, 3, 1, 42]"},
		{call("ARRAY_CONCAT", cEmp), "ARRAY[]"},
		{call("ARRAY_CONCAT", cArr, cNul), "NULL"},
		{call("ARRAY_CONCAT", arr(s("a")), arr(s("bc"))), "ARRAY['a', 'bc']"},
		{call("ARRAY_UNION", cArr, arr(i(3), i(5), i(5))), "ARRAY[1, NULL, 3, 5]"},
		{call("ARRAY_UNION", cEmp, cEmp), "ARRAY[]"},
		{call("ARRAY_UNION", cArr, cNul), "NULL"},
		{call("ARRAY_APPEND", cArr, i(5)), "ARRAY[1, NULL, 3, 1, 5]"},
		{call("ARRAY_APPEND", cEmp, cNI), "ARRAY[NULL]"},
		{call("ARRAY_APPEND", cNul, i(5)), "NULL"},
		{call("ARRAY_PREPEND", i(5), cOne), "ARRAY[5, 42]"},
		{call("ARRAY_MAX", cArr), "3"},
		{call("ARRAY_MIN", cArr), "1"},
		{call("ARRAY_MAX", cEmp), "NULL"},
		{call("ARRAY_MIN", arr(cNI)), "NULL"},
		{call("ARRAY_MAX", cStrs), "'b'"},
		{call("ARRAY_JOIN", cStrs, s(",")), "'a,b'"},
		{call("ARRAY_JOIN", cStrs, s(", "), s("?")), "'a, ?, b'"},
		{call("ARRAY_JOIN", cStrs, cNS), "NULL"},
		{call("ARRAY_JOIN", cStrs, s(","), cNS), "NULL"},
		{call("ARRAY_JOIN", arr(s("x")), s(",")), "'x'"},
		{call("ARRAY_JOIN", must(NewCast(cEmp, tStrArr, false)), s(",")), "''"},
		{call("ARRAY_SORT", cArr), "ARRAY[NULL, 1, 1, 3]"},
		{call("ARRAY_SORT", cArr, b(false)), "ARRAY[3, 1, 1, NULL]"},
		{call("ARRAY_SORT", cArr, b(false), b(true)), "ARRAY[NULL, 3, 1, 1]"},
		{call("ARRAY_SORT", cArr, b(true), b(false)), "ARRAY[1, 1, 3, NULL]"},
		{call("ARRAY_SORT", cStrs, b(true)), "ARRAY[NULL, 'a', 'b']"},
		{call("ARRAY_SORT", cEmp), "ARRAY[]"},
		{call("ARRAY_SORT", cNul), "NULL"},
		{call("ARRAY_SORT", cArr, null(table.BooleanType())), "NULL"},
		{call("MAP_UNION", cMap, mapOf(s("b"), i(5), s("c"), i(6))), "MAP['a', 1, 'b', 5, 'c', 6]"},
		{call("MAP_UNION", cMap), "MAP['a', 1, 'b', NULL]"},
		{call("MAP_UNION", cMap, cNulMap), "NULL"},
		{call("MAP_FROM_ARRAYS", arr(s("x"), s("y"), s("x")), arr(i(1), i(2), i(3))), "MAP['x', 3, 'y', 2]"},
		{call("MAP_FROM_ARRAYS", cStrs, cOne), "error: the same length, not 3 keys and 1 values"},
		{call("MAP_FROM_ARRAYS", cStrs, cNul), "NULL"},
		{call("MAP_FROM_ARRAYS", cEmp, cEmp), "MAP[]"},
		{call("MAP_KEYS", cMap), "ARRAY['a', 'b']"},
		{call("MAP_VALUES", cMap), "ARRAY[1, NULL]"},
		{call("MAP_ENTRIES", cMap), "ARRAY[ROW('a', 1), ROW('b', NULL)]"},
		{call("MAP_KEYS", cNulMap), "NULL"},
		{call("MAP_VALUES", mapOf(s("k"), arr(i(1)))), "ARRAY[ARRAY[1]]"},
		// ARRAY_EXCEPT / ARRAY_INTERSECT (Flink 1.20): distinct, in the
		// first array's order; NULL elements match; NULL arrays give NULL.
		{call("ARRAY_EXCEPT", cArr, arr(i(3))), "ARRAY[1, NULL]"},
		{call("ARRAY_EXCEPT", cArr, arr(cNI)), "ARRAY[1, 3]"},
		{call("ARRAY_EXCEPT", cArr, cEmp), "ARRAY[1, NULL, 3]"},
		{call("ARRAY_EXCEPT", cArr, cArr), "ARRAY[]"},
		{call("ARRAY_EXCEPT", cEmp, cArr), "ARRAY[]"},
		{call("ARRAY_EXCEPT", cArr, cNul), "NULL"},
		{call("ARRAY_EXCEPT", cNul, cArr), "NULL"},
		{call("ARRAY_EXCEPT", cArr, arr(cBig)), "ARRAY[1, NULL, 3]"}, // widened to BIGINT
		{call("ARRAY_EXCEPT", arr(dec("1.0"), dec("2.5")), arr(i(1))), "ARRAY[2.5]"},
		{call("ARRAY_INTERSECT", cArr, arr(i(3), i(1), i(7))), "ARRAY[1, 3]"},
		{call("ARRAY_INTERSECT", cArr, arr(cNI, i(1))), "ARRAY[1, NULL]"},
		{call("ARRAY_INTERSECT", cArr, cEmp), "ARRAY[]"},
		{call("ARRAY_INTERSECT", cNest, arr(arr(i(1), i(2)))), "ARRAY[ARRAY[1, 2]]"},
		{call("ARRAY_INTERSECT", cArr, cNul), "NULL"},
		{call("ARRAY_INTERSECT", cNul, cArr), "NULL"},
		// MAP_FROM_ENTRIES: the last value of a repeated key wins (in the
		// key's first place); a NULL entry gives NULL; a NULL key is an
		// error.
		{call("MAP_FROM_ENTRIES", arr(row(s("x"), i(1)), row(s("y"), cNI), row(s("x"), i(3)))), "MAP['x', 3, 'y', NULL]"},
		{call("MAP_FROM_ENTRIES", call("MAP_ENTRIES", cMap)), "MAP['a', 1, 'b', NULL]"},
		{call("MAP_FROM_ENTRIES", arr(row(s("x"), i(1)), cast(NullLit(table.NullType()), table.RowType(table.Field{Name: "k", Type: table.StringType()}, table.Field{Name: "v", Type: table.IntType()})))), "NULL"},
		{call("MAP_FROM_ENTRIES", arr(row(cNS, i(1)))), "error: the key of entry 1 is NULL"},
		{call("MAP_FROM_ENTRIES", cast(NullLit(table.NullType()), table.ArrayType(table.RowType(table.Field{Name: "k", Type: table.IntType()}, table.Field{Name: "v", Type: table.IntType()})))), "NULL"},
	})
	for _, c := range []struct {
		name string
		args []Expr
	}{
		{"ARRAY_CONTAINS", []Expr{cArr, s("x")}},
		{"ARRAY_CONTAINS", []Expr{cS, s("x")}},
		{"ARRAY_POSITION", []Expr{cMap, s("a")}},
		{"ARRAY_CONCAT", []Expr{cArr, cStrs}},
		{"ARRAY_CONCAT", nil},
		{"ARRAY_UNION", []Expr{cArr}},
		{"ARRAY_JOIN", []Expr{cArr, s(",")}},
		{"ARRAY_SLICE", []Expr{cArr, s("1")}},
		{"ARRAY_MAX", []Expr{cNest}},
		{"MAP_KEYS", []Expr{cArr}},
		{"MAP_UNION", []Expr{cMap, cArr}},
		{"MAP_FROM_ARRAYS", []Expr{cMap, cArr}},
		{"ARRAY_SORT", []Expr{cNest}},
		{"ARRAY_SORT", []Expr{cArr, i(1)}},
		{"ARRAY_EXCEPT", []Expr{cArr}},
		{"ARRAY_EXCEPT", []Expr{cArr, cStrs}},
		{"ARRAY_INTERSECT", []Expr{cArr, cMap}},
		{"MAP_FROM_ENTRIES", []Expr{cArr}},
		{"MAP_FROM_ENTRIES", []Expr{arr(row(i(1), i(2), i(3)))}},
		{"MAP_FROM_ENTRIES", []Expr{cMap}},
	} {
		if e, err := reg.Call(c.name, c.args...); err == nil {
			t.Errorf("%s binds", e)
		}
	}
}
