package expr

import (
	"errors"
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

func jv(doc Expr, path string, ret *table.Type, onEmpty, onError JSONBehavior) Expr {
	return must(reg.JSONValue(doc, s(path), ret, onEmpty, onError))
}
func jq(doc Expr, path, wrapper, onEmpty, onError string) Expr {
	return must(reg.JSONQuery(doc, s(path), wrapper, onEmpty, onError))
}
func je(doc Expr, path, onError string) Expr { return must(reg.JSONExists(doc, s(path), onError)) }
func jo(onNull string, kv ...Expr) Expr {
	var ks, vs []Expr
	for i := 0; i < len(kv); i += 2 {
		ks, vs = append(ks, kv[i]), append(vs, kv[i+1])
	}
	return must(reg.JSONObject(onNull, ks, vs))
}
func ja(onNull string, es ...Expr) Expr { return must(reg.JSONArray(onNull, es)) }
func isj(x Expr, kind string, not bool) Expr {
	return must(reg.IsJSON(x, kind, not))
}

var noB JSONBehavior

func ptrT(t table.Type) *table.Type { return &t }

// The examples of Flink's documentation (JSON Functions) and the edges of
// Calcite's JsonFunctions over Jayway JsonPath.
func TestJSONValue(t *testing.T) {
	def := func(e Expr) JSONBehavior { return JSONBehavior{Kind: "DEFAULT", Default: e} }
	errB := JSONBehavior{Kind: "ERROR"}
	runCases(t, []exprCase{
		{jv(s(`{"a": true}`), "$.a", nil, noB, noB), "'true'"},
		{jv(s(`{"a": true}`), "$.a", ptrT(table.BooleanType()), noB, noB), "TRUE"},
		{jv(s(`{"a": true}`), "lax $.b", nil, def(b(false)), noB), "'false'"},
		{jv(s(`{"a": true}`), "strict $.b", nil, noB, def(b(false))), "'false'"},
		{jv(s(`{"a.b": [0.998,0.996]}`), `$.["a.b"][0]`, ptrT(table.DoubleType()), noB, noB), "9.98E-1"},
		{jv(s(`{"contains blank": "right"}`), `strict $.['contains blank']`, nil, JSONBehavior{Kind: "NULL"}, def(s("wrong"))), "'right'"},
		{jv(s(`{"a":{"b":3}}`), "$.a.b", nil, noB, noB), "'3'"},
		{jv(s(`{"a":{"b":3}}`), "$.a.b", ptrT(table.IntType()), noB, noB), "3"},
		{jv(s(`{"a":1.0}`), "$.a", nil, noB, noB), "'1.0'"},
		{jv(s(`{"a":1e21}`), "$.a", nil, noB, noB), "'1.0E21'"},
		{jv(s(`{"a":-0}`), "$.a", nil, noB, noB), "'0'"},
		{jv(s(`{"a":123456789012345678901234}`), "$.a", nil, noB, noB), "'123456789012345678901234'"},
		{jv(s(`{"a":"x\ny"}`), "$.a", nil, noB, noB), "'x\ny'"},
		{jv(s(`[10,20,30]`), "$[-1]", nil, noB, noB), "'30'"},
		{jv(s(`[10,20,30]`), "$[1]", nil, noB, noB), "'20'"},
		{jv(s(`{"a":{"b":3}}`), "a.b", nil, noB, noB), "'3'"}, // Jayway reads "a.b" as "$.a.b"
		// NULL in, NULL out (neither ON EMPTY nor ON ERROR).
		{jv(cSN, "$.a", nil, def(s("d")), def(s("e"))), "NULL"},
		{jv(s(`{}`), "$.a", nil, def(s("d")), errB), "error: no results for path"},
		// Empty: lax nothing found, JSON null, a non-scalar in lax mode.
		{jv(s(`{"a":null}`), "lax $.a", nil, def(s("d")), def(s("e"))), "'d'"},
		{jv(s(`{"a":[1]}`), "lax $.a", nil, def(s("d")), def(s("e"))), "'d'"},
		{jv(s(`{}`), "lax $.x.y", nil, def(s("d")), def(s("e"))), "'d'"},
		{jv(s(`{}`), "lax $.x", nil, errB, noB), "error: empty result of JSON_VALUE"},
		// Errors: strict misses, JSON null and non-scalars in strict mode,
		// invalid JSON, invalid paths, failed conversions.
		{jv(s(`{"a":null}`), "strict $.a", nil, def(s("d")), def(s("e"))), "'e'"},
		{jv(s(`{"a":[1]}`), "$.a", nil, def(s("d")), def(s("e"))), "'e'"},
		{jv(s(`{"a":[1]}`), "$.a", nil, noB, errB), "error: strict path mode requires scalar value"},
		{jv(s(`{"a":`), "strict $.a", nil, def(s("d")), def(s("e"))), "'e'"},
		{jv(s(`{"a":1} x`), "$.a", nil, noB, def(s("e"))), "'e'"},
		{jv(s(`{"a":1}`), "$..a", nil, noB, def(s("e"))), "'e'"},
		{jv(s(`{"a":1}`), "$..a", nil, noB, errB), "error: deep scan"},
		{jv(s(`{"a":"x"}`), "$.a", ptrT(table.IntType()), noB, def(i(-1))), "-1"},
		{jv(s(`{"a":"x"}`), "$.a", ptrT(table.IntType()), noB, noB), "NULL"},
		{jv(s(`{"a":[1,2]}`), "$.a[5]", nil, def(s("d")), def(s("e"))), "'e'"},
		{jv(s(`{"a":[1,2]}`), "lax $.a[5]", nil, def(s("d")), def(s("e"))), "'d'"},
		// A wildcard gives an array: never a scalar.
		{jv(s(`{"a":[1]}`), "strict $.a[*]", nil, def(s("d")), def(s("e"))), "'e'"},
		{jv(s(`{"a":[1]}`), "lax $.a[*]", nil, def(s("d")), def(s("e"))), "'d'"},
		// A failing DEFAULT ON EMPTY falls through to ON ERROR; a failing
		// DEFAULT ON ERROR is the error.
		{jv(s(`{}`), "lax $.a", ptrT(table.IntType()), def(s("x")), def(i(9))), "9"},
		{jv(s(`{}`), "strict $.a", ptrT(table.IntType()), noB, def(s("x"))), "error: cannot cast"},
		// The DEFAULT is evaluated only when used.
		{jv(s(`{"a":2}`), "$.a", ptrT(table.IntType()), def(s("x")), def(s("y"))), "2"},
		// A path from a column.
		{must(reg.JSONValue(s(`{"xyz":5}`), must(reg.Call("CONCAT", s("$."), cS)), nil, noB, noB)), "'5'"},
		{must(reg.JSONValue(s(`{"xyz":5}`), cSN, nil, noB, noB)), "NULL"},
	})
}

func TestJSONQuery(t *testing.T) {
	runCases(t, []exprCase{
		{jq(s(`{ "a": { "b": 1 } }`), "$.a", "", "", ""), `'{"b":1}'`},
		{jq(s(`[1, 2]`), "$", "", "", ""), "'[1,2]'"},
		{jq(cSN, "$", "", "", ""), "NULL"},
		{jq(s(`{}`), "strict $.invalid", "", "", ""), "NULL"},
		{jq(s(`{}`), "strict $.invalid", "", "", "EMPTY ARRAY"), "'[]'"},
		{jq(s(`{}`), "lax $.invalid", "", "EMPTY ARRAY", ""), "'[]'"},
		{jq(s(`{}`), "strict $.invalid", "", "", "EMPTY OBJECT"), "'{}'"},
		{jq(s(`{}`), "$", "WITH CONDITIONAL ARRAY WRAPPER", "", ""), "'[{}]'"},
		{jq(s(`[1, 2]`), "$", "WITH CONDITIONAL ARRAY WRAPPER", "", ""), "'[1,2]'"},
		{jq(s(`[1, 2]`), "$", "WITH UNCONDITIONAL ARRAY WRAPPER", "", ""), "'[[1,2]]'"},
		{jq(s(`[1, 2]`), "$", "WITH ARRAY WRAPPER", "", ""), "'[[1,2]]'"},
		{jq(s(`1`), "$", "", "", ""), "NULL"},
		{jq(s(`1`), "$", "WITH CONDITIONAL ARRAY WRAPPER", "", ""), "'[1]'"},
		{jq(s(`1`), "$", "", "", "ERROR"), "error: strict path mode requires array or object"},
		{jq(s(`1`), "lax $", "", "EMPTY OBJECT", ""), "'{}'"},
		{jq(s(`{}`), "lax $.a", "", "ERROR", ""), "error: empty result of JSON_QUERY"},
		// Wildcards collect their matches in order; keys keep their order;
		// strings are escaped as Jackson does.
		{jq(s(`{"a":[{"b":1},{"c":2},{"b":[3]}]}`), "$.a[*].b", "", "", ""), "'[1,[3]]'"},
		{jq(s(`{"z":1,"a":{"y":"q\"\u0001/é","x":null}}`), "$.*", "", "", ""), `'[1,{"y":"q\"\u0001/é","x":null}]'`},
		{jq(s(`{"b":1,"a":2,"b":3}`), "$", "", "", ""), `'{"b":3,"a":2}'`},
		{jq(s(`{"a":[]}`), "$.a[*]", "", "", ""), "'[]'"},
		{jq(s(`{"a":1}`), "strict $.x[*]", "", "", "EMPTY OBJECT"), "'{}'"},
		{jq(s(`{"a":1}`), "lax $.x[*]", "", "", "EMPTY OBJECT"), "'[]'"},
		{jq(s(`{"a":[1.50, 2e0]}`), "$.a", "", "", ""), "'[1.5,2.0]'"},
	})
}

func TestJSONExistsAndIsJSON(t *testing.T) {
	runCases(t, []exprCase{
		{je(s(`{"a": true}`), "$.a", ""), "TRUE"},
		{je(s(`{"a": true}`), "$.b", ""), "FALSE"},
		{je(s(`{"a": [{ "b": 1 }]}`), "$.a[0].b", ""), "TRUE"},
		{je(s(`{"a": true}`), "strict $.b", "TRUE"), "TRUE"},
		{je(s(`{"a": true}`), "strict $.b", "FALSE"), "FALSE"},
		{je(s(`{"a": true}`), "strict $.b", "UNKNOWN"), "NULL"},
		{je(s(`{"a": true}`), "strict $.b", "ERROR"), "error: no results"},
		{je(s(`{"a": true}`), "lax $.b", "ERROR"), "FALSE"},
		{je(s(`{"a": null}`), "lax $.a", ""), "FALSE"},
		{je(s(`not json`), "lax $.a", "TRUE"), "FALSE"}, // lax: invalid JSON is empty
		{je(s(`not json`), "strict $.a", "TRUE"), "TRUE"},
		{je(cSN, "$.a", "TRUE"), "NULL"},
		{isj(s("1"), "", false), "TRUE"},
		{isj(s("[]"), "", false), "TRUE"},
		{isj(s("{}"), "", false), "TRUE"},
		{isj(s(`"abc"`), "", false), "TRUE"},
		{isj(s("abc"), "", false), "FALSE"},
		{isj(cSN, "", false), "FALSE"},
		{isj(cSN, "", true), "TRUE"},
		{isj(s("1"), "SCALAR", false), "TRUE"},
		{isj(s("1"), "ARRAY", false), "FALSE"},
		{isj(s("1"), "OBJECT", false), "FALSE"},
		{isj(s("{}"), "SCALAR", false), "FALSE"},
		{isj(s("{}"), "ARRAY", false), "FALSE"},
		{isj(s("{}"), "OBJECT", false), "TRUE"},
		{isj(s("[]"), "ARRAY", true), "FALSE"},
	})
}

func TestJSONConstructors(t *testing.T) {
	arr := Lit(table.Array([]table.Value{table.Int(1), table.Null}), table.ArrayType(table.IntType()).NotNull())
	row := Lit(table.RowValue([]table.Value{table.Str("x"), table.Float(1.5)}),
		table.RowType(table.Field{Name: "f", Type: table.StringType()}, table.Field{Name: "g", Type: table.DoubleType()}).NotNull())
	runCases(t, []exprCase{
		{jo(""), "'{}'"},
		{jo("", s("K1"), s("V1")), `'{"K1":"V1"}'`},
		{jo("", s("K1"), i(1)), `'{"K1":1}'`},
		{jo("", s("K1"), cSN), `'{"K1":null}'`},
		{jo("NULL", s("K1"), cSN), `'{"K1":null}'`},
		{jo("ABSENT", s("K1"), cSN), "'{}'"},
		{jo("", s("K1"), jo("", s("K2"), s("V"))), `'{"K1":{"K2":"V"}}'`},
		{jo("", s("K1"), ja("", i(1), i(2))), `'{"K1":[1,2]}'`},
		{jo("", s("K1"), jo("", s("K2"), jo("", s("K3"), s("V")))), `'{"K1":{"K2":{"K3":"V"}}}'`},
		{jo("", s("K"), s(`{"a":1}`)), `'{"K":"{\"a\":1}"}'`}, // a string is a string
		{jo("", s("a"), cF, s("b"), cM, s("c"), cT, s("d"), cDT, s("e"), cTS), `'{"a":2.5,"b":12.34,"c":true,"d":"2024-02-29","e":"2024-01-31T12:34:56.789"}'`},
		{jo("", s("a"), arr, s("r"), row), `'{"a":[1,null],"r":{"f":"x","g":1.5}}'`},
		{jo("", s("k"), i(1), s("k"), i(2)), `'{"k":2}'`},
		{ja(""), "'[]'"},
		{ja("", i(1), s("2")), `'[1,"2"]'`},
		{ja("NULL", cSN), "'[null]'"},
		{ja("", cSN), "'[]'"},
		{ja("ABSENT", cSN), "'[]'"},
		{ja("", ja("", i(1))), "'[[1]]'"},
		{ja("", jo("", s("k"), cS), dbl(1e-5)), `'[{"k":"xyz"},1.0E-5]'`},
		{call("JSON_STRING", i(1)), "'1'"},
		{call("JSON_STRING", b(true)), "'true'"},
		{call("JSON_STRING", s("Hello, World!")), `'"Hello, World!"'`},
		{call("JSON_STRING", arr), "'[1,null]'"},
		{call("JSON_STRING", cSN), "NULL"},
	})
}

func TestJSONTypes(t *testing.T) {
	for _, c := range []struct {
		e    Expr
		want string
		text string
	}{
		{jv(cS, "$.a", nil, noB, noB), "STRING", "JSON_VALUE(`s`, '$.a' NULL ON EMPTY NULL ON ERROR)"},
		{jv(cS, "$.a", ptrT(table.IntType().NotNull()), JSONBehavior{Kind: "DEFAULT", Default: i(0)}, noB), "INT",
			"JSON_VALUE(`s`, '$.a' RETURNING INT DEFAULT 0 ON EMPTY NULL ON ERROR)"},
		{jq(cS, "$.a", "WITH ARRAY WRAPPER", "EMPTY ARRAY", ""), "STRING",
			"JSON_QUERY(`s`, '$.a' WITH UNCONDITIONAL ARRAY WRAPPER EMPTY ARRAY ON EMPTY NULL ON ERROR)"},
		{je(cS, "$.a", ""), "BOOLEAN", "JSON_EXISTS(`s`, '$.a' FALSE ON ERROR)"},
		{jo("", s("k"), cN), "STRING NOT NULL", "JSON_OBJECT(KEY 'k' VALUE `n` NULL ON NULL)"},
		{ja("", cN, cS), "STRING NOT NULL", "JSON_ARRAY(`n`, `s` ABSENT ON NULL)"},
		{ja(""), "STRING NOT NULL", "JSON_ARRAY(ABSENT ON NULL)"},
		{isj(cSN, "", false), "BOOLEAN NOT NULL", "(`sn` IS JSON)"},
		{isj(cSN, "OBJECT", true), "BOOLEAN NOT NULL", "(NOT (`sn` IS JSON OBJECT))"},
		{call("JSON_STRING", cS), "STRING NOT NULL", "JSON_STRING(`s`)"},
	} {
		if got := c.e.Type().String(); got != c.want {
			t.Errorf("%s: type %s, want %s", c.e, got, c.want)
		}
		if got := c.e.String(); got != c.text {
			t.Errorf("String() = %s, want %s", got, c.text)
		}
	}
}

func TestJSONTypeErrors(t *testing.T) {
	for _, c := range []struct {
		build func() (Expr, error)
		want  string
	}{
		{func() (Expr, error) { return reg.JSONValue(cA, s("$"), nil, noB, noB) }, "no overload of JSON_VALUE for (INT NOT NULL, STRING NOT NULL); candidates: JSON_VALUE(STRING, STRING"},
		{func() (Expr, error) { return reg.JSONQuery(cS, cA, "", "", "") }, "no overload of JSON_QUERY for (STRING NOT NULL, INT NOT NULL)"},
		{func() (Expr, error) { return reg.JSONExists(cA, cA, "") }, "no overload of JSON_EXISTS"},
		{func() (Expr, error) { return reg.JSONExists(cS, s("$"), "EMPTY ARRAY") }, "EMPTY ARRAY ON ERROR is not valid in JSON_EXISTS"},
		{func() (Expr, error) { return reg.JSONQuery(cS, s("$"), "", "DEFAULT", "") }, "DEFAULT ON EMPTY is not valid in JSON_QUERY"},
		{func() (Expr, error) { return reg.JSONValue(cS, s("$"), nil, JSONBehavior{Kind: "EMPTY ARRAY"}, noB) }, "EMPTY ARRAY ON EMPTY is not valid in JSON_VALUE"},
		{func() (Expr, error) {
			return reg.JSONValue(cS, s("$"), ptrT(table.ArrayType(table.IntType())), noB, noB)
		}, "JSON_VALUE cannot return ARRAY<INT>"},
		{func() (Expr, error) {
			return reg.JSONValue(cS, s("$"), ptrT(table.DateType()), JSONBehavior{Kind: "DEFAULT", Default: cA}, noB)
		}, "DEFAULT `a` ON EMPTY"},
		{func() (Expr, error) { return reg.JSONObject("", []Expr{cSN}, []Expr{i(1)}) }, "keys are NOT NULL character strings"},
		{func() (Expr, error) { return reg.JSONObject("", []Expr{cA}, []Expr{i(1)}) }, "the key of JSON_OBJECT at position 1 is INT NOT NULL"},
		{func() (Expr, error) { return reg.IsJSON(cA, "", false) }, "no overload of IS JSON VALUE for (INT NOT NULL)"},
	} {
		_, err := c.build()
		var te *TypeError
		if err == nil || !errors.As(err, &te) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want a TypeError with %q", err, c.want)
		}
	}
}

// TestJSONPathParse pins the paths that compile and those refused.
func TestJSONPathParse(t *testing.T) {
	for _, c := range []struct {
		path     string
		strict   bool
		definite bool
		steps    int
		bad      string
	}{
		{path: "$", strict: true, definite: true},
		{path: "  LAX  $.a", definite: true, steps: 1},
		{path: "Strict $.a[0]['b c'][\"d\"].*", strict: true, steps: 5},
		{path: "$.a[ -2 ]", strict: true, definite: true, steps: 2},
		{path: `$['it\'s']`, strict: true, definite: true, steps: 1},
		{path: "a", strict: true, definite: true, steps: 1},
		{path: "lax", strict: true, definite: true, steps: 1}, // "$.lax"
		{path: "", bad: "empty"},
		{path: "lax  ", bad: "empty"},
		{path: "$.", bad: "ends with '.'"},
		{path: "$..a", bad: "deep scan"},
		{path: "$.a b", bad: "blanks"},
		{path: "$.length()", bad: "functions"},
		{path: "$[1:2]", bad: "slices"},
		{path: "$[1,2]", bad: "several indexes"},
		{path: "$['a','b']", bad: "several keys"},
		{path: "$[?(@.a)]", bad: "unsupported bracket"},
		{path: "$['a", bad: "unclosed quote"},
		{path: "$[", bad: "unclosed"},
		{path: "$a", bad: "unexpected"},
		{path: "$[99999999999]", bad: "bad array index"},
	} {
		p, err := parseJSONPath(c.path)
		if c.bad != "" {
			if err == nil || !strings.Contains(err.Error(), c.bad) {
				t.Errorf("%q: error %v, want %q", c.path, err, c.bad)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.path, err)
			continue
		}
		if p.strict != c.strict || p.definite != c.definite || len(p.steps) != c.steps {
			t.Errorf("%q: strict %v definite %v steps %d, want %v %v %d", c.path, p.strict, p.definite, len(p.steps), c.strict, c.definite, c.steps)
		}
	}
}

// FuzzJSONPath: no input panics the path parser, the JSON parser or the
// evaluator; a lax path never fails, not even over text that is not JSON
// (Flink: an empty result), a strict one fails over such text; and the
// text of what was found parses back to itself.
func FuzzJSONPath(f *testing.F) {
	for _, c := range [][2]string{
		{`{"a":{"b":[1,2,{"c":null}]}}`, "$.a.b[*].c"},
		{`[1,[2,[3]]]`, "lax $[1][-1][0]"},
		{`{"a b":"x"}`, "strict $.['a b']"},
		{`{"a":1.5e3}`, "$.*"},
		{`"\u0000\ud800"`, "$"},
		{`{}`, "$..x"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, doc, path string) {
		p, err := parseJSONPath(path)
		if err != nil {
			var pe *jsonPathError
			if !errors.As(err, &pe) {
				t.Fatalf("path error of type %T", err)
			}
			return
		}
		in := &jsonInput{hasConst: true, constPath: p}
		_, strict, ierr := in.eval(table.Str(doc), table.Str(path))
		if strict != p.strict {
			t.Fatalf("path %q: eval says strict=%v", path, strict)
		}
		root, err := parseJSONText(doc)
		if err != nil {
			switch {
			case !p.strict && ierr != nil:
				t.Fatalf("lax path %q failed over invalid JSON: %v", path, ierr)
			case p.strict && ierr == nil:
				t.Fatalf("strict path %q did not fail over invalid JSON %q", path, doc)
			}
			return
		}
		text := appendJSON(nil, root)
		again, err := parseJSONText(string(text))
		if err != nil {
			t.Fatalf("%s does not parse back: %v", text, err)
		}
		if got := string(appendJSON(nil, again)); got != string(text) {
			t.Fatalf("round trip %s -> %s", text, got)
		}
		v, err := p.eval(root)
		if err != nil {
			if !p.strict {
				t.Fatalf("lax path %q failed: %v", path, err)
			}
			return
		}
		if !p.definite {
			if _, ok := v.([]any); !ok {
				t.Fatalf("path %q with a wildcard gave %T", path, v)
			}
		}
		if v != nil {
			if _, err := parseJSONText(string(appendJSON(nil, v))); err != nil {
				t.Fatalf("result %s does not parse: %v", appendJSON(nil, v), err)
			}
		}
	})
}

func TestJSONAggregates(t *testing.T) {
	S, I := table.StringType().NotNull(), table.IntType()
	kv := func(k string, v table.Value) aggStep { return add(table.Str(k), v) }
	for _, c := range []struct {
		name, onNull string
		raw          bool
		args         []table.Type
		steps        []aggStep
		want         string
	}{
		{"JSON_ARRAYAGG", "", false, []table.Type{I}, nil, "'[]'"},
		{"JSON_ARRAYAGG", "", false, []table.Type{I}, []aggStep{add(table.Int(1)), add(table.Null), add(table.Int(2))}, "'[1,2]'"},
		{"JSON_ARRAYAGG", "NULL", false, []table.Type{I}, []aggStep{add(table.Int(1)), add(table.Null)}, "'[1,null]'"},
		{"JSON_ARRAYAGG", "", false, []table.Type{table.StringType()}, []aggStep{add(table.Str("a\"b")), add(table.Str("c")), retract(table.Str("a\"b"))}, `'["c"]'`},
		{"JSON_ARRAYAGG", "", true, []table.Type{S}, []aggStep{add(table.Str(`{"k":1}`))}, `'[{"k":1}]'`},
		{"JSON_OBJECTAGG", "", false, []table.Type{S, I}, nil, "'{}'"},
		{"JSON_OBJECTAGG", "", false, []table.Type{S, I}, []aggStep{kv("b", table.Int(1)), kv("a", table.Null)}, `'{"a":null,"b":1}'`},
		{"JSON_OBJECTAGG", "ABSENT", false, []table.Type{S, I}, []aggStep{kv("b", table.Int(1)), kv("a", table.Null)}, `'{"b":1}'`},
		{"JSON_OBJECTAGG", "", false, []table.Type{S, I}, []aggStep{kv("b", table.Int(1)), kv("a", table.Int(2)), retract(table.Str("b"), table.Int(1)), kv("b", table.Int(3))}, `'{"a":2,"b":3}'`},
	} {
		f, err := NewJSONAggregate(c.name, c.onNull, c.raw, c.args)
		if err != nil {
			t.Fatal(err)
		}
		if f.ResultType().String() != "STRING NOT NULL" {
			t.Errorf("%s: type %s", c.name, f.ResultType())
		}
		if got := aggSteps(t, f, c.steps).String(); got != c.want {
			t.Errorf("%s %s ON NULL: %s, want %s", c.name, c.onNull, got, c.want)
		}
	}
	f, _ := NewJSONAggregate("JSON_OBJECTAGG", "", false, []table.Type{S, I})
	acc := make([]table.Value, 2)
	f.Init(acc)
	_ = f.Add(acc, []table.Value{table.Str("k"), table.Int(1)})
	if err := f.Add(acc, []table.Value{table.Str("k"), table.Int(2)}); err == nil || !strings.Contains(err.Error(), `key "k" is already present`) {
		t.Errorf("a repeated key: %v", err)
	}
	if _, err := NewJSONAggregate("JSON_OBJECTAGG", "", false, []table.Type{table.StringType(), I}); err == nil || !strings.Contains(err.Error(), "the key is a NOT NULL character string") {
		t.Errorf("a nullable key type: %v", err)
	}
	// Merge: the later accumulator's texts follow.
	g, _ := NewJSONAggregate("JSON_ARRAYAGG", "", false, []table.Type{I})
	a, b := make([]table.Value, 2), make([]table.Value, 2)
	g.Init(a)
	g.Init(b)
	_ = g.Add(a, []table.Value{table.Int(1)})
	_ = g.Add(b, []table.Value{table.Int(2)})
	_ = g.Merge(a, b)
	if r, _ := g.Result(a); r.AsString() != "[1,2]" {
		t.Errorf("merged JSON_ARRAYAGG = %s", r)
	}
}

// A JSON number is at most 1000 digits long (Jackson's
// StreamReadConstraints.maxNumberLength, which Flink inherits): one more is
// invalid JSON, handled by ON ERROR, and a huge one is refused without
// being converted (an integer went through big.Int: quadratic).
func TestJSONNumberLength(t *testing.T) {
	def := func(e Expr) JSONBehavior { return JSONBehavior{Kind: "DEFAULT", Default: e} }
	d1000 := "9" + strings.Repeat("0", 999)
	d1001 := d1000 + "1"
	runCases(t, []exprCase{
		{jv(s(`{"a":`+d1000+`}`), "$.a", nil, noB, def(s("e"))), "'" + d1000 + "'"},
		{jv(s(`{"a":-`+d1000+`}`), "$.a", nil, noB, def(s("e"))), "'-" + d1000 + "'"},
		{jv(s(`{"a":`+d1001+`}`), "$.a", nil, noB, def(s("e"))), "'e'"},
		{jv(s(`{"a":`+d1001+`}`), "$.a", nil, noB, JSONBehavior{Kind: "ERROR"}), "error: exceeds the maximum length"},
		{jq(s(`[`+d1000+`]`), "$", "", "", ""), "'[" + d1000 + "]'"},
		{jq(s(`[`+d1001+`]`), "$", "", "", "EMPTY OBJECT"), "'{}'"},
		{jv(s(`{"a":0.`+strings.Repeat("5", 999)+`}`), "$.a", nil, noB, def(s("e"))), "'0.5555555555555556'"},
		{jv(s(`{"a":0.`+strings.Repeat("5", 1000)+`}`), "$.a", nil, noB, def(s("e"))), "'e'"},
		{jv(s(`{"a":1.`+strings.Repeat("0", 997)+`e10}`), "$.a", nil, noB, def(s("e"))), "'1.0E10'"},
		{jv(s(`{"a":1.`+strings.Repeat("0", 997)+`e100}`), "$.a", nil, noB, def(s("e"))), "'e'"},
		{isj(s(d1000), "", false), "TRUE"},
		{isj(s(d1001), "", false), "FALSE"},
	})
	for _, doc := range []string{strings.Repeat("7", 1_000_000), "-" + strings.Repeat("7", 1_000_000), "0." + strings.Repeat("7", 1_000_000)} {
		if _, err := parseJSONText(doc); err == nil || !strings.Contains(err.Error(), "exceeds the maximum length") {
			t.Errorf("a number of %d characters: %v, want the length error", len(doc), err)
		}
	}
}

// Invalid JSON is an error in strict mode and an empty result in lax mode
// (Flink's SqlJsonUtils.jsonApiCommonSyntax); a path that does not compile
// stays an error in both modes.
func TestJSONInvalidInputLax(t *testing.T) {
	def := func(e Expr) JSONBehavior { return JSONBehavior{Kind: "DEFAULT", Default: e} }
	errB := JSONBehavior{Kind: "ERROR"}
	runCases(t, []exprCase{
		{jv(s(`{bad`), "lax $.a", nil, def(s("empty")), def(s("error"))), "'empty'"},
		{jv(s(`{bad`), "lax $.a", nil, noB, errB), "NULL"},
		{jv(s(`{bad`), "lax $.a", nil, errB, noB), "error: empty result of JSON_VALUE"},
		{jv(s(`{"a":1} x`), "lax $.a", nil, def(s("empty")), def(s("error"))), "'empty'"},
		{jq(s(`{bad`), "lax $.a", "", "EMPTY ARRAY", "EMPTY OBJECT"), "'[]'"},
		{jq(s(`{bad`), "lax $.a", "", "", "ERROR"), "NULL"},
		{je(s(`{bad`), "lax $.a", "ERROR"), "FALSE"},
		{je(s(`{bad`), "lax $.a", "TRUE"), "FALSE"},
		{je(s(`{bad`), "lax $.a", "UNKNOWN"), "FALSE"},
		// Strict (and no mode): an error for ON ERROR.
		{jv(s(`{bad`), "strict $.a", nil, def(s("empty")), def(s("error"))), "'error'"},
		{jv(s(`{bad`), "$.a", nil, noB, errB), "error: invalid JSON"},
		{jq(s(`{bad`), "strict $.a", "", "EMPTY ARRAY", "EMPTY OBJECT"), "'{}'"},
		{je(s(`{bad`), "strict $.a", "TRUE"), "TRUE"},
		{je(s(`{bad`), "$.a", "ERROR"), "error: invalid JSON"},
		// A path that does not compile: an error in lax mode too.
		{jv(s(`{bad`), "lax $..a", nil, def(s("empty")), def(s("error"))), "'error'"},
		{jv(s(`{"a":1}`), "lax $..a", nil, def(s("empty")), errB), "error: deep scan"},
		{je(s(`{bad`), "lax $..a", "TRUE"), "TRUE"},
		{jq(s(`{bad`), "lax $..a", "", "EMPTY ARRAY", "EMPTY OBJECT"), "'{}'"},
	})
}

// Flink's JSON_OBJECT, JSON_ARRAY, JSON_STRING and the JSON aggregates
// write objects with their keys sorted (SqlJsonUtils.serializeJson with
// ORDER_MAP_ENTRIES_BY_KEYS: Java's String.compareTo, UTF-16 code units);
// JSON_QUERY keeps the input's order.
func TestJSONSortedKeys(t *testing.T) {
	rowT := table.RowType(table.Field{Name: "z", Type: table.IntType()}, table.Field{Name: "a", Type: table.IntType()},
		table.Field{Name: "m", Type: table.RowType(table.Field{Name: "y", Type: table.IntType()}, table.Field{Name: "b", Type: table.IntType()})}).NotNull()
	row := Lit(table.RowValue([]table.Value{table.Int(1), table.Int(2), table.RowValue([]table.Value{table.Int(3), table.Int(4)})}), rowT)
	mapT := table.MapType(table.StringType(), table.IntType()).NotNull()
	m := Lit(table.Map([]table.Value{table.Str("k2"), table.Str("k1"), table.Str("K3")}, []table.Value{table.Int(1), table.Int(2), table.Int(3)}), mapT)
	// U+FFFD sorts after U+1F600 in UTF-16 (the surrogate D83D < FFFD),
	// before it in Go's byte order.
	runCases(t, []exprCase{
		{jo("", s("b"), i(1), s("a"), i(2)), `'{"a":2,"b":1}'`},
		{jo("", s("Orange"), i(0), s("Apple"), i(2), s("Banana"), i(17)), `'{"Apple":2,"Banana":17,"Orange":0}'`},
		{jo("", s("b"), i(1), s("a"), jo("", s("y"), i(1), s("x"), i(2))), `'{"a":{"x":2,"y":1},"b":1}'`},
		{jo("", s("k"), i(1), s("a"), i(0), s("k"), i(2)), `'{"a":0,"k":2}'`},
		{jo("", s("\uFFFD"), i(1), s("\U0001F600"), i(2), s("a"), i(3)), `'{"a":3,"😀":2,"�":1}'`},
		{ja("", jo("", s("b"), i(1), s("a"), i(2)), row), `'[{"a":2,"b":1},{"a":2,"m":{"b":4,"y":3},"z":1}]'`},
		{jo("", s("r"), row, s("m"), m), `'{"m":{"K3":3,"k1":2,"k2":1},"r":{"a":2,"m":{"b":4,"y":3},"z":1}}'`},
		{call("JSON_STRING", row), `'{"a":2,"m":{"b":4,"y":3},"z":1}'`},
		{call("JSON_STRING", m), `'{"K3":3,"k1":2,"k2":1}'`},
		// JSON_QUERY: the input's order.
		{jq(s(`{"b":1,"a":{"y":1,"x":2}}`), "$", "", "", ""), `'{"b":1,"a":{"y":1,"x":2}}'`},
	})
	if javaCompare("\uFFFD", "\U0001F600") <= 0 || javaCompare("\U0001F600", "\uE000") >= 0 || javaCompare("\U0001F600", "\U0001F601") >= 0 ||
		javaCompare("a", "ab") >= 0 || javaCompare("b", "ab") <= 0 || javaCompare("x", "x") != 0 {
		t.Errorf("javaCompare is not Java's String.compareTo order")
	}

	S, I := table.StringType().NotNull(), table.IntType()
	kv := func(k string, v table.Value) aggStep { return add(table.Str(k), v) }
	for _, c := range []struct {
		name  string
		args  []table.Type
		steps []aggStep
		want  string
	}{
		{"JSON_OBJECTAGG", []table.Type{S, I}, []aggStep{kv("Orange", table.Int(0)), kv("Banana", table.Int(17)), kv("Apple", table.Int(2))}, `'{"Apple":2,"Banana":17,"Orange":0}'`},
		{"JSON_OBJECTAGG", []table.Type{S, I}, []aggStep{kv("\uFFFD", table.Int(1)), kv("\U0001F600", table.Int(2)), kv("b\"", table.Int(3)), kv("b", table.Int(4))}, `'{"b":4,"b\"":3,"😀":2,"�":1}'`},
		{"JSON_OBJECTAGG", []table.Type{S, rowT.AsNullable()}, []aggStep{kv("k", table.RowValue([]table.Value{table.Int(1), table.Int(2), table.Null}))}, `'{"k":{"a":2,"m":null,"z":1}}'`},
		{"JSON_ARRAYAGG", []table.Type{mapT.AsNullable()}, []aggStep{add(table.Map([]table.Value{table.Str("b"), table.Str("a")}, []table.Value{table.Int(1), table.Int(2)}))}, `'[{"a":2,"b":1}]'`},
	} {
		f, err := NewJSONAggregate(c.name, "", false, c.args)
		if err != nil {
			t.Fatal(err)
		}
		if got := aggSteps(t, f, c.steps).String(); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// TestJSONQuoteUnquote: JSON_QUOTE escapes as Flink's JsonQuoteFunction
// ('"', '\', '/', \b \f \n \r \t, every UTF-16 unit above 127 as \uxxxx,
// other control characters as they are); JSON_UNQUOTE reads a valid JSON
// string literal and passes anything else through.
func TestJSONQuoteUnquote(t *testing.T) {
	for _, c := range []struct {
		fn, in, want string
	}{
		{"JSON_QUOTE", `Hello, World!`, `"Hello, World!"`},
		{"JSON_QUOTE", `a"b\c/d`, `"a\"b\\c\/d"`},
		{"JSON_QUOTE", "\b\f\n\r\t\x01", `"\b\f\n\r\t` + "\x01" + `"`},
		{"JSON_QUOTE", "é€", `"\u00e9\u20ac"`},
		{"JSON_QUOTE", "😀", `"\ud83d\ude00"`},
		{"JSON_QUOTE", ``, `""`},
		{"JSON_QUOTE", `[1, 2]`, `"[1, 2]"`},
		{"JSON_UNQUOTE", `"Hello, World!"`, `Hello, World!`},
		{"JSON_UNQUOTE", `"a\"b\\c\/d"`, `a"b\c/d`},
		{"JSON_UNQUOTE", `"\b\f\n\r\t"`, "\b\f\n\r\t"},
		{"JSON_UNQUOTE", `"\u00e9\ud83d\ude00"`, "é😀"},
		{"JSON_UNQUOTE", `""`, ``},
		{"JSON_UNQUOTE", `Hello`, `Hello`},               // not quoted
		{"JSON_UNQUOTE", `[1,2]`, `[1,2]`},               // JSON, not a string
		{"JSON_UNQUOTE", `"a\x"`, `"a\x"`},               // an invalid escape
		{"JSON_UNQUOTE", `"a" "b"`, `"a" "b"`},           // not one JSON value
		{"JSON_UNQUOTE", `"`, `"`},                       // one quote
		{"JSON_UNQUOTE", `"\u00e"`, `"\u00e"`},           // a short \u
		{"JSON_UNQUOTE", "\"a\nb\"", "\"a\nb\""},         // a raw line break is not JSON
		{"JSON_UNQUOTE", `  "padded"  `, `  "padded"  `}, // does not start with a quote
	} {
		e := call(c.fn, s(c.in))
		p, err := Compile(e)
		if err != nil {
			t.Fatalf("%s(%q): %v", c.fn, c.in, err)
		}
		v, err := p(&table.Row{})
		if err != nil || v.AsString() != c.want {
			t.Errorf("%s(%q) = %q, %v; want %q", c.fn, c.in, v.AsString(), err, c.want)
		}
		// The round trip, but for a raw control character, which
		// JSON_QUOTE leaves as it is (as Flink): no valid JSON then.
		if back := call("JSON_UNQUOTE", call("JSON_QUOTE", s(c.in))); c.fn == "JSON_QUOTE" && !strings.ContainsRune(c.in, 1) {
			p, _ := Compile(back)
			if v, err := p(&table.Row{}); err != nil || v.AsString() != c.in {
				t.Errorf("JSON_UNQUOTE(JSON_QUOTE(%q)) = %q, %v", c.in, v.AsString(), err)
			}
		}
	}
	// NULL in, NULL out; the type is STRING (NOT NULL for a NOT NULL input).
	for _, fn := range []string{"JSON_QUOTE", "JSON_UNQUOTE"} {
		e := call(fn, cSN)
		p, _ := Compile(e)
		if v, err := p(testRow()); err != nil || !v.IsNull() || !e.Type().Nullable() {
			t.Errorf("%s(NULL) = %v, %v (type %s)", fn, v, err, e.Type())
		}
		if e := call(fn, s("x")); e.Type().String() != "STRING NOT NULL" {
			t.Errorf("%s('x') is %s", fn, e.Type())
		}
		if _, err := reg.Call(fn, i(1), i(2)); err == nil {
			t.Errorf("%s of two arguments binds", fn)
		}
	}
}
