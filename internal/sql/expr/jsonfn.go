package expr

// The SQL/JSON functions (Flink docs, "JSON Functions"; Calcite's
// JsonFunctions): JSON_EXISTS, JSON_VALUE, JSON_QUERY, JSON_OBJECT,
// JSON_ARRAY, JSON_STRING and IS [NOT] JSON [VALUE|SCALAR|ARRAY|OBJECT].
// The parser reads their clauses; the planner builds the calls with the
// constructors below (Registry.JSONValue ...), which pass the clauses as a
// literal argument that the overloads read at compile time. The path
// language is in jsonpath.go.

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/stromio/strom/table"
)

// JSONBehavior is an ON EMPTY / ON ERROR clause: Kind is NULL, ERROR,
// TRUE, FALSE, UNKNOWN, EMPTY ARRAY, EMPTY OBJECT or DEFAULT (with
// Default), "" when absent.
type JSONBehavior struct {
	Kind    string
	Default Expr
}

func jsonKindOK(kind string, allowed ...string) bool {
	for _, a := range allowed {
		if kind == a {
			return true
		}
	}
	return false
}

const (
	sigJSONValue  = "JSON_VALUE(STRING, STRING [RETURNING type] [{NULL|ERROR|DEFAULT expr} ON EMPTY] [{NULL|ERROR|DEFAULT expr} ON ERROR]) -> type"
	sigJSONQuery  = "JSON_QUERY(STRING, STRING [{WITHOUT|WITH [CONDITIONAL|UNCONDITIONAL]} [ARRAY] WRAPPER] [{NULL|ERROR|EMPTY ARRAY|EMPTY OBJECT} ON EMPTY] [... ON ERROR]) -> STRING"
	sigJSONExists = "JSON_EXISTS(STRING, STRING [{TRUE|FALSE|UNKNOWN|ERROR} ON ERROR]) -> BOOLEAN"
)

// checkJSONArgs refuses a JSON value or path that is not a character
// string, naming the types and the signature.
func checkJSONArgs(fn, sig string, x, path Expr) error {
	if isStr(x.Type()) && isStr(path.Type()) {
		return nil
	}
	return typeErr(fmt.Sprintf("%s(%s, %s)", fn, x, path), "no overload of %s for (%s, %s); candidates: %s",
		fn, x.Type(), path.Type(), sig)
}

func jsonClauseErr(fn, kind, on string, allowed ...string) error {
	return typeErr(fn, "%s ON %s is not valid in %s (%s are)", kind, on, fn, strings.Join(allowed, ", "))
}

// JSONValue builds JSON_VALUE(x, path [RETURNING t] [onEmpty ON EMPTY]
// [onError ON ERROR]); returning nil is STRING.
func (r *Registry) JSONValue(x, path Expr, returning *table.Type, onEmpty, onError JSONBehavior) (Expr, error) {
	if err := checkJSONArgs("JSON_VALUE", sigJSONValue, x, path); err != nil {
		return nil, err
	}
	t := table.StringType()
	if returning != nil {
		t = returning.AsNullable()
	}
	switch t.Root() {
	case table.RootArray, table.RootMap, table.RootRow, table.RootNull:
		return nil, typeErr("JSON_VALUE", "JSON_VALUE cannot return %s: it returns a scalar type (Flink documents STRING, BOOLEAN, INT and DOUBLE)", t)
	}
	allowed := []string{"NULL", "ERROR", "DEFAULT"}
	defs := make([]Expr, 2)
	kinds := make([]string, 2)
	for i, b := range []JSONBehavior{onEmpty, onError} {
		on := [2]string{"EMPTY", "ERROR"}[i]
		if b.Kind == "" {
			b.Kind = "NULL"
		}
		if !jsonKindOK(b.Kind, allowed...) {
			return nil, jsonClauseErr("JSON_VALUE", b.Kind, on, allowed...)
		}
		kinds[i] = b.Kind
		defs[i] = Lit(table.Null, t)
		if b.Kind == "DEFAULT" {
			d := b.Default
			if t.IsString() && d.Type().Root() == table.RootBoolean {
				// Flink hands the default over as a Java object and
				// returns String.valueOf of it: 'false', not 'FALSE'.
				c, err := NewCast(d, t.WithNullable(d.Type().Nullable()), false)
				if err != nil {
					return nil, err
				}
				if d, err = r.Call("LOWER", c); err != nil {
					return nil, err
				}
			}
			if !d.Type().AsNullable().Equal(t) {
				c, err := NewCast(d, t.WithNullable(d.Type().Nullable()), false)
				if err != nil {
					return nil, typeErr("JSON_VALUE", "DEFAULT %s ON %s: %v", d, on, err)
				}
				d = c
			}
			defs[i] = d
		}
	}
	return r.Call("JSON_VALUE", x, path, StrLit(kinds[0]+"|"+kinds[1]), defs[0], defs[1])
}

// JSONQuery builds JSON_QUERY(x, path [wrapper] [onEmpty ON EMPTY]
// [onError ON ERROR]); wrapper is "" or the parser's text ("WITHOUT ARRAY
// WRAPPER", "WITH CONDITIONAL ARRAY WRAPPER", "WITH ARRAY WRAPPER" ...).
// A RETURNING type other than STRING is refused by the caller.
func (r *Registry) JSONQuery(x, path Expr, wrapper, onEmpty, onError string) (Expr, error) {
	if err := checkJSONArgs("JSON_QUERY", sigJSONQuery, x, path); err != nil {
		return nil, err
	}
	switch wrapper {
	case "", "WITHOUT ARRAY WRAPPER":
		wrapper = "WITHOUT"
	case "WITH ARRAY WRAPPER", "WITH UNCONDITIONAL ARRAY WRAPPER":
		wrapper = "UNCONDITIONAL"
	case "WITH CONDITIONAL ARRAY WRAPPER":
		wrapper = "CONDITIONAL"
	default:
		return nil, typeErr("JSON_QUERY", "unknown wrapper %s", wrapper)
	}
	allowed := []string{"NULL", "ERROR", "EMPTY ARRAY", "EMPTY OBJECT"}
	for i, k := range []*string{&onEmpty, &onError} {
		if *k == "" {
			*k = "NULL"
		}
		if !jsonKindOK(*k, allowed...) {
			return nil, jsonClauseErr("JSON_QUERY", *k, [2]string{"EMPTY", "ERROR"}[i], allowed...)
		}
	}
	return r.Call("JSON_QUERY", x, path, StrLit(wrapper+"|"+onEmpty+"|"+onError))
}

// JSONExists builds JSON_EXISTS(x, path [onError ON ERROR]) (default
// FALSE ON ERROR).
func (r *Registry) JSONExists(x, path Expr, onError string) (Expr, error) {
	if err := checkJSONArgs("JSON_EXISTS", sigJSONExists, x, path); err != nil {
		return nil, err
	}
	if onError == "" {
		onError = "FALSE"
	}
	allowed := []string{"TRUE", "FALSE", "UNKNOWN", "ERROR"}
	if !jsonKindOK(onError, allowed...) {
		return nil, jsonClauseErr("JSON_EXISTS", onError, "ERROR", allowed...)
	}
	return r.Call("JSON_EXISTS", x, path, StrLit(onError))
}

// isJSONConstructor reports whether e is a JSON_OBJECT or JSON_ARRAY call,
// whose text a JSON_OBJECT or JSON_ARRAY around it inserts as JSON (Flink).
func isJSONConstructor(e Expr) bool {
	c, ok := e.(*Call)
	return ok && (c.Name == "JSON_OBJECT" || c.Name == "JSON_ARRAY") && c.Overload != nil && c.Overload.Format != nil
}

// JSONObject builds JSON_OBJECT(KEY k VALUE v, ... [onNull ON NULL])
// (default NULL ON NULL).
func (r *Registry) JSONObject(onNull string, keys, values []Expr) (Expr, error) {
	if onNull == "" {
		onNull = "NULL"
	}
	raw := make([]byte, len(values))
	args := []Expr{nil}
	for i := range keys {
		kt := keys[i].Type()
		if !kt.IsString() || kt.Nullable() {
			return nil, typeErr("JSON_OBJECT", "the key of JSON_OBJECT at position %d is %s: keys are NOT NULL character strings", i+1, kt)
		}
		raw[i] = '0'
		if isJSONConstructor(values[i]) {
			raw[i] = '1'
		}
		args = append(args, keys[i], values[i])
	}
	args[0] = StrLit(onNull + "|" + string(raw))
	return r.Call("JSON_OBJECT", args...)
}

// JSONArray builds JSON_ARRAY(v, ... [onNull ON NULL]) (default ABSENT ON
// NULL).
func (r *Registry) JSONArray(onNull string, elems []Expr) (Expr, error) {
	if onNull == "" {
		onNull = "ABSENT"
	}
	raw := make([]byte, len(elems))
	for i, e := range elems {
		raw[i] = '0'
		if isJSONConstructor(e) {
			raw[i] = '1'
		}
	}
	return r.Call("JSON_ARRAY", append([]Expr{StrLit(onNull + "|" + string(raw))}, elems...)...)
}

// IsJSON builds x IS [NOT] JSON [VALUE|SCALAR|ARRAY|OBJECT]: never NULL (a
// NULL is not JSON).
func (r *Registry) IsJSON(x Expr, kind string, not bool) (Expr, error) {
	if kind == "" {
		kind = "VALUE"
	}
	c, err := r.Call("IS JSON "+kind, x)
	if err != nil || !not {
		return c, err
	}
	return NewNot(c)
}

func specOf(args []Expr, i int) []string {
	if l, ok := args[i].(*Literal); ok && !l.V.IsNull() {
		return strings.Split(l.V.AsString(), "|")
	}
	return nil
}

func constSpec(b *Bound, i int) ([]string, error) {
	v, ok := b.Const(i)
	if !ok || v.IsNull() {
		return nil, fmt.Errorf("%s: the clauses are not a literal", b.Name)
	}
	return strings.Split(v.AsString(), "|"), nil
}

func behaviorText(kind, on string, def Expr) string {
	if kind == "DEFAULT" {
		return " DEFAULT " + def.String() + " ON " + on
	}
	return " " + kind + " ON " + on
}

// jsonInput parses the JSON text and compiles the path (cached when the
// path is a literal).
type jsonInput struct {
	constPath *jsonPath
	constErr  error
	hasConst  bool
}

func newJSONInput(b *Bound) *jsonInput {
	in := &jsonInput{}
	if v, ok := b.Const(1); ok && !v.IsNull() {
		in.hasConst = true
		in.constPath, in.constErr = parseJSONPath(v.AsString())
	}
	return in
}

// eval returns the path's result or the error that ON ERROR handles, and
// whether the path is strict. JSON text that does not parse is an error in
// strict mode and an empty result in lax mode (Flink's
// SqlJsonUtils.jsonApiCommonSyntax gives an empty context for invalid input
// in LAX mode); a path that does not compile is an error in both.
func (in *jsonInput) eval(doc, path table.Value) (any, bool, error) {
	p, err := in.constPath, in.constErr
	if !in.hasConst {
		p, err = parseJSONPath(path.AsString())
	}
	if err != nil {
		return nil, true, err
	}
	root, err := parseJSONText(doc.AsString())
	if err != nil {
		if !p.strict {
			return nil, false, nil
		}
		return nil, true, fmt.Errorf("invalid JSON: %v", err)
	}
	v, err := p.eval(root)
	return v, p.strict, err
}

func registerJSON(r *Registry) {
	strArg := func(t table.Type) bool { return isStr(t) }
	r.Register("JSON_VALUE", Overload{
		Sig:       sigJSONValue,
		NonStrict: true,
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 5 || !strArg(args[0]) || !strArg(args[1]) {
				return nil, table.Type{}, false
			}
			t := args[3].AsNullable()
			return []table.Type{table.StringType(), table.StringType(), tString, args[3], args[4]}, t, true
		},
		Format: func(args []Expr) string {
			spec := specOf(args, 2)
			if len(spec) != 2 {
				return "JSON_VALUE(" + joinExprs(args) + ")"
			}
			s := "JSON_VALUE(" + args[0].String() + ", " + args[1].String()
			if t := args[3].Type(); !t.AsNullable().Equal(table.StringType()) {
				s += " RETURNING " + t.AsNullable().String()
			}
			return s + behaviorText(spec[0], "EMPTY", args[3]) + behaviorText(spec[1], "ERROR", args[4]) + ")"
		},
		Impl: func(b *Bound) (Func, error) {
			spec, err := constSpec(b, 2)
			if err != nil {
				return Func{}, err
			}
			onEmpty, onError := spec[0], spec[1]
			in := newJSONInput(b)
			t := b.Result
			conv, err := castFunc(table.StringType(), t, b.Env)
			if err != nil {
				return Func{}, err
			}
			return Func{Lazy: func(r *table.Row, ps []Program) (table.Value, error) {
				doc, err := ps[0](r)
				if err != nil || doc.IsNull() {
					return table.Null, err
				}
				path, err := ps[1](r)
				if err != nil || path.IsNull() {
					return table.Null, err
				}
				v, strict, perr := in.eval(doc, path)
				if perr == nil {
					switch {
					case v == nil || (!strict && !isJSONScalar(v)):
						switch onEmpty {
						case "ERROR":
							return table.Null, fmt.Errorf("empty result of JSON_VALUE function is not allowed")
						case "DEFAULT":
							d, err := ps[3](r)
							if err == nil {
								return d, nil
							}
							perr = err // a failing default falls through to ON ERROR
						default:
							return table.Null, nil
						}
					case !isJSONScalar(v):
						perr = fmt.Errorf("strict path mode requires scalar value, and the actual value is: '%s'", appendJSON(nil, v))
					default:
						out, err := conv(table.Str(jsonScalarText(v)))
						if err == nil {
							return out, nil
						}
						perr = err
					}
				}
				switch onError {
				case "ERROR":
					return table.Null, perr
				case "DEFAULT":
					return ps[4](r)
				}
				return table.Null, nil
			}}, nil
		},
	})
	r.Register("JSON_QUERY", Overload{
		Sig:       sigJSONQuery,
		NonStrict: true,
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 3 || !strArg(args[0]) || !strArg(args[1]) {
				return nil, table.Type{}, false
			}
			return []table.Type{table.StringType(), table.StringType(), tString}, table.StringType(), true
		},
		Format: func(args []Expr) string {
			spec := specOf(args, 2)
			if len(spec) != 3 {
				return "JSON_QUERY(" + joinExprs(args) + ")"
			}
			w := map[string]string{"WITHOUT": "WITHOUT ARRAY WRAPPER", "CONDITIONAL": "WITH CONDITIONAL ARRAY WRAPPER",
				"UNCONDITIONAL": "WITH UNCONDITIONAL ARRAY WRAPPER"}[spec[0]]
			return "JSON_QUERY(" + args[0].String() + ", " + args[1].String() + " " + w +
				" " + spec[1] + " ON EMPTY " + spec[2] + " ON ERROR)"
		},
		Impl: func(b *Bound) (Func, error) {
			spec, err := constSpec(b, 2)
			if err != nil {
				return Func{}, err
			}
			wrapper, onEmpty, onError := spec[0], spec[1], spec[2]
			in := newJSONInput(b)
			behave := func(kind string, err error) (table.Value, error) {
				switch kind {
				case "ERROR":
					return table.Null, err
				case "EMPTY ARRAY":
					return table.Str("[]"), nil
				case "EMPTY OBJECT":
					return table.Str("{}"), nil
				}
				return table.Null, nil
			}
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				doc, path := vs[0], vs[1]
				if doc.IsNull() || path.IsNull() {
					return table.Null, nil
				}
				v, strict, err := in.eval(doc, path)
				if err != nil {
					return behave(onError, err)
				}
				if v != nil {
					switch wrapper {
					case "UNCONDITIONAL":
						v = []any{v}
					case "CONDITIONAL":
						if _, ok := v.([]any); !ok {
							v = []any{v}
						}
					}
				}
				switch {
				case v == nil || (!strict && isJSONScalar(v)):
					return behave(onEmpty, fmt.Errorf("empty result of JSON_QUERY function is not allowed"))
				case isJSONScalar(v):
					return behave(onError, fmt.Errorf("strict path mode requires array or object value, and the actual value is: '%s'", appendJSON(nil, v)))
				}
				return table.Str(string(appendJSON(nil, v))), nil
			}}, nil
		},
	})
	r.Register("JSON_EXISTS", Overload{
		Sig:       sigJSONExists,
		NonStrict: true,
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 3 || !strArg(args[0]) || !strArg(args[1]) {
				return nil, table.Type{}, false
			}
			return []table.Type{table.StringType(), table.StringType(), tString}, table.BooleanType(), true
		},
		Format: func(args []Expr) string {
			spec := specOf(args, 2)
			if len(spec) != 1 {
				return "JSON_EXISTS(" + joinExprs(args) + ")"
			}
			return "JSON_EXISTS(" + args[0].String() + ", " + args[1].String() + " " + spec[0] + " ON ERROR)"
		},
		Impl: func(b *Bound) (Func, error) {
			spec, err := constSpec(b, 2)
			if err != nil {
				return Func{}, err
			}
			onError := spec[0]
			in := newJSONInput(b)
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				doc, path := vs[0], vs[1]
				if doc.IsNull() || path.IsNull() {
					return table.Null, nil
				}
				v, _, err := in.eval(doc, path)
				if err != nil {
					switch onError {
					case "TRUE":
						return table.Bool(true), nil
					case "FALSE":
						return table.Bool(false), nil
					case "ERROR":
						return table.Null, err
					}
					return table.Null, nil
				}
				return table.Bool(v != nil), nil
			}}, nil
		},
	})
	bindCtor := func(keyed bool) func([]table.Type) ([]table.Type, table.Type, bool) {
		return func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) == 0 || (keyed && len(args)%2 != 1) {
				return nil, table.Type{}, false
			}
			ps := make([]table.Type, len(args))
			copy(ps, args)
			ps[0] = tString
			for i := 1; i < len(ps); i++ {
				if ps[i].Root() == table.RootNull {
					ps[i] = table.StringType()
				}
				if _, err := jsonNodeFunc(ps[i], nil); err != nil {
					return nil, table.Type{}, false
				}
			}
			return ps, tString, true
		}
	}
	formatCtor := func(name string, keyed bool) func([]Expr) string {
		return func(args []Expr) string {
			spec := specOf(args, 0)
			if len(spec) != 2 {
				return name + "(" + joinExprs(args) + ")"
			}
			var b strings.Builder
			b.WriteString(name + "(")
			for i := 1; i < len(args); i++ {
				if i > 1 {
					b.WriteString(", ")
				}
				if keyed {
					b.WriteString("KEY " + args[i].String() + " VALUE ")
					i++
				}
				b.WriteString(args[i].String())
			}
			if len(args) > 1 {
				b.WriteString(" ")
			}
			b.WriteString(spec[0] + " ON NULL)")
			return b.String()
		}
	}
	implCtor := func(keyed bool) func(b *Bound) (Func, error) {
		return func(b *Bound) (Func, error) {
			spec, err := constSpec(b, 0)
			if err != nil {
				return Func{}, err
			}
			absent, raw := spec[0] == "ABSENT", spec[1]
			nodes := make([]func(table.Value) (any, error), len(b.Params))
			for i := 1; i < len(b.Params); i++ {
				if nodes[i], err = jsonNodeFunc(b.Params[i], b.Env); err != nil {
					return Func{}, err
				}
			}
			return Func{FN: func(vs []table.Value) (table.Value, error) {
				var out any
				if keyed {
					obj := &jsonObject{}
					for i := 1; i+1 < len(vs); i += 2 {
						k, v := vs[i], vs[i+1]
						if k.IsNull() {
							return table.Null, fmt.Errorf("JSON_OBJECT: the key at position %d is NULL", (i+1)/2)
						}
						if v.IsNull() {
							if !absent {
								obj.put(k.AsString(), nil)
							}
							continue
						}
						n, err := jsonArgNode(v, nodes[i+1], raw[(i-1)/2] == '1')
						if err != nil {
							return table.Null, err
						}
						obj.put(k.AsString(), n)
					}
					out = obj
				} else {
					arr := []any{}
					for i := 1; i < len(vs); i++ {
						if vs[i].IsNull() {
							if !absent {
								arr = append(arr, nil)
							}
							continue
						}
						n, err := jsonArgNode(vs[i], nodes[i], raw[i-1] == '1')
						if err != nil {
							return table.Null, err
						}
						arr = append(arr, n)
					}
					out = arr
				}
				return table.Str(string(appendJSONSorted(nil, out))), nil
			}}, nil
		}
	}
	r.Register("JSON_OBJECT", Overload{
		Sig:       "JSON_OBJECT([KEY STRING VALUE any, ...] [{NULL|ABSENT} ON NULL]) -> STRING NOT NULL",
		NonStrict: true,
		Bind:      bindCtor(true),
		Format:    formatCtor("JSON_OBJECT", true),
		Impl:      implCtor(true),
	})
	r.Register("JSON_ARRAY", Overload{
		Sig:       "JSON_ARRAY([any, ...] [{NULL|ABSENT} ON NULL]) -> STRING NOT NULL",
		NonStrict: true,
		Bind:      bindCtor(false),
		Format:    formatCtor("JSON_ARRAY", false),
		Impl:      implCtor(false),
	})
	// JSON_QUOTE(s) (Flink 1.18+): s as a JSON string literal, escaping
	// '"', '\\', '/', \b, \f, \n, \r, \t and, as Flink, every UTF-16 unit
	// above 127 as \uxxxx (lower-case hex); other control characters are
	// left as they are. JSON_UNQUOTE(s): the text of s when s is a valid
	// JSON string literal ("..." with its escapes read), else s unchanged.
	r.Register("JSON_QUOTE", Overload{
		Sig:  "JSON_QUOTE(STRING) -> STRING",
		Bind: Fixed(tString, table.StringType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(v table.Value) (table.Value, error) {
				return table.Str(jsonQuote(v.AsString())), nil
			}}, nil
		},
	})
	r.Register("JSON_UNQUOTE", Overload{
		Sig:  "JSON_UNQUOTE(STRING) -> STRING",
		Bind: Fixed(tString, table.StringType()),
		Impl: func(*Bound) (Func, error) {
			return Func{F1: func(v table.Value) (table.Value, error) {
				s := v.AsString()
				if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
					return v, nil
				}
				if j, err := parseJSONText(s); err == nil {
					if str, ok := j.(string); ok {
						return table.Str(str), nil
					}
				}
				return v, nil
			}}, nil
		},
	})
	r.Register("JSON_STRING", Overload{
		Sig: "JSON_STRING(any) -> STRING",
		Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
			if len(args) != 1 {
				return nil, table.Type{}, false
			}
			p := nullTo(args[0], table.StringType())
			if _, err := jsonNodeFunc(p, nil); err != nil {
				return nil, table.Type{}, false
			}
			return []table.Type{p}, tString, true
		},
		Impl: func(b *Bound) (Func, error) {
			node, err := jsonNodeFunc(b.Params[0], b.Env)
			if err != nil {
				return Func{}, err
			}
			return Func{F1: func(v table.Value) (table.Value, error) {
				n, err := node(v)
				if err != nil {
					return table.Null, err
				}
				return table.Str(string(appendJSONSorted(nil, n))), nil
			}}, nil
		},
	})
	for _, kind := range []string{"VALUE", "SCALAR", "ARRAY", "OBJECT"} {
		kind := kind
		r.Register("IS JSON "+kind, Overload{
			Sig:       "STRING IS JSON " + kind + " -> BOOLEAN NOT NULL",
			NonStrict: true,
			Bind: func(args []table.Type) ([]table.Type, table.Type, bool) {
				if len(args) != 1 || !strArg(args[0]) {
					return nil, table.Type{}, false
				}
				return []table.Type{table.StringType()}, tBool, true
			},
			Format: func(args []Expr) string {
				if kind == "VALUE" {
					return "(" + args[0].String() + " IS JSON)"
				}
				return "(" + args[0].String() + " IS JSON " + kind + ")"
			},
			Impl: func(*Bound) (Func, error) {
				return Func{F1: func(v table.Value) (table.Value, error) {
					if v.IsNull() {
						return table.Bool(false), nil
					}
					j, err := parseJSONText(v.AsString())
					if err != nil {
						return table.Bool(false), nil
					}
					switch kind {
					case "SCALAR":
						return table.Bool(isJSONScalar(j)), nil
					case "ARRAY":
						_, ok := j.([]any)
						return table.Bool(ok), nil
					case "OBJECT":
						_, ok := j.(*jsonObject)
						return table.Bool(ok), nil
					}
					return table.Bool(true), nil
				}}, nil
			},
		})
	}
}

// jsonArgNode is the JSON node of a JSON_OBJECT/JSON_ARRAY argument: the
// text of a nested JSON_OBJECT/JSON_ARRAY call inserted as JSON.
func jsonArgNode(v table.Value, node func(table.Value) (any, error), raw bool) (any, error) {
	if raw {
		return jsonRaw(v.AsString()), nil
	}
	return node(v)
}

// jsonNodeFunc returns the converter of SQL values of type t to JSON
// nodes, as Flink's JSON construction functions write them: numbers as
// numbers (FLOAT and DOUBLE as Java prints them), strings, booleans,
// binary strings as base64, dates and times as ISO-8601 text, ARRAY as an
// array, MAP and ROW as objects. env nil: only checks the type.
func jsonNodeFunc(t table.Type, env *Env) (func(table.Value) (any, error), error) {
	switch t.Root() {
	case table.RootNull:
		return func(table.Value) (any, error) { return nil, nil }, nil
	case table.RootBoolean:
		return func(v table.Value) (any, error) { return v.AsBool(), nil }, nil
	case table.RootTinyInt, table.RootSmallInt, table.RootInt, table.RootBigInt:
		return func(v table.Value) (any, error) { return jsonNumber(strconv.FormatInt(v.AsInt(), 10)), nil }, nil
	case table.RootFloat, table.RootDouble:
		bits := 64
		if t.Root() == table.RootFloat {
			bits = 32
		}
		return func(v table.Value) (any, error) { return jsonNumber(javaFloat(v.AsFloat(), bits)), nil }, nil
	case table.RootDecimal:
		return func(v table.Value) (any, error) { return jsonNumber(v.AsDecimal().Append(nil)), nil }, nil
	case table.RootChar, table.RootVarChar:
		return func(v table.Value) (any, error) { return v.AsString(), nil }, nil
	case table.RootBinary, table.RootVarBinary:
		return func(v table.Value) (any, error) { return base64.StdEncoding.EncodeToString(v.AsBytes()), nil }, nil
	case table.RootDate:
		return func(v table.Value) (any, error) { return string(table.AppendDate(nil, v.AsDate())), nil }, nil
	case table.RootTime:
		return func(v table.Value) (any, error) {
			return string(table.AppendTimeOfDay(nil, int64(v.AsTime())*1e6, -1)), nil
		}, nil
	case table.RootTimestamp:
		return func(v table.Value) (any, error) {
			ms, ns := v.AsTimestamp()
			b := table.AppendTimestamp(nil, ms, ns, -1)
			b[10] = 'T'
			return string(b), nil
		}, nil
	case table.RootTimestampLTZ:
		return func(v table.Value) (any, error) {
			ms, ns := v.AsTimestamp()
			b := table.AppendTimestamp(nil, ms, ns, -1)
			b[10] = 'T'
			return string(append(b, 'Z')), nil
		}, nil
	case table.RootArray:
		elem, err := jsonNodeFunc(t.Elem(), env)
		if err != nil {
			return nil, err
		}
		return func(v table.Value) (any, error) {
			es := v.Elems()
			out := make([]any, len(es))
			for i, e := range es {
				if e.IsNull() {
					continue
				}
				n, err := elem(e)
				if err != nil {
					return nil, err
				}
				out[i] = n
			}
			return out, nil
		}, nil
	case table.RootMap:
		val, err := jsonNodeFunc(t.ValueType(), env)
		if err != nil {
			return nil, err
		}
		return func(v table.Value) (any, error) {
			ks, vs := v.MapEntries()
			obj := &jsonObject{}
			for i := range ks {
				var n any
				if !vs[i].IsNull() {
					if n, err = val(vs[i]); err != nil {
						return nil, err
					}
				}
				obj.put(string(table.AppendText(nil, ks[i])), n)
			}
			return obj, nil
		}, nil
	case table.RootRow:
		fs := t.Fields()
		conv := make([]func(table.Value) (any, error), len(fs))
		for i, f := range fs {
			c, err := jsonNodeFunc(f.Type, env)
			if err != nil {
				return nil, err
			}
			conv[i] = c
		}
		return func(v table.Value) (any, error) {
			es := v.Elems()
			obj := &jsonObject{}
			for i, f := range fs {
				var n any
				if i < len(es) && !es[i].IsNull() {
					var err error
					if n, err = conv[i](es[i]); err != nil {
						return nil, err
					}
				}
				obj.put(f.Name, n)
			}
			return obj, nil
		}, nil
	}
	return nil, fmt.Errorf("no JSON form for %s", t)
}

// jsonQuote is JSON_QUOTE's text: s in double quotes with Flink's escapes.
func jsonQuote(s string) string {
	const hexd = "0123456789abcdef"
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for _, r := range s {
		switch r {
		case '"', '\\', '/':
			b = append(b, '\\', byte(r))
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if r <= 127 {
				b = append(b, byte(r))
				continue
			}
			units := []rune{r}
			if r > 0xFFFF {
				hi, lo := utf16.EncodeRune(r)
				units = []rune{hi, lo}
			}
			for _, u := range units {
				b = append(b, '\\', 'u', hexd[u>>12&15], hexd[u>>8&15], hexd[u>>4&15], hexd[u&15])
			}
		}
	}
	return string(append(b, '"'))
}
