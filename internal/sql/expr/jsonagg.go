package expr

// JSON_OBJECTAGG and JSON_ARRAYAGG (Flink docs, "JSON Functions"; Flink's
// JsonObjectAggFunction and JsonArrayAggFunction). The accumulators hold
// the JSON text of each value, so they are rows of strings in state. The
// result's objects have their keys sorted (Flink's serializeJson); the
// array keeps arrival order.

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stromio/strom/table"
)

// NewJSONAggregate returns JSON_OBJECTAGG(KEY k VALUE v [onNull ON NULL])
// (args: the key, a NOT NULL character string, and the value; default
// NULL ON NULL) or JSON_ARRAYAGG(v [onNull ON NULL]) (default ABSENT ON
// NULL). raw: the value is a JSON_OBJECT/JSON_ARRAY call, inserted as
// JSON.
func NewJSONAggregate(name, onNull string, raw bool, args []table.Type) (AggregateFunc, error) {
	up := strings.ToUpper(name)
	valueAt := 0
	switch up {
	case "JSON_OBJECTAGG":
		if len(args) != 2 || !args[0].IsString() || args[0].Nullable() {
			return nil, fmt.Errorf("expr: no overload of JSON_OBJECTAGG for (%s); candidates: JSON_OBJECTAGG(KEY STRING NOT NULL VALUE any [{NULL|ABSENT} ON NULL]): the key is a NOT NULL character string", typeList(args))
		}
		valueAt = 1
		if onNull == "" {
			onNull = "NULL"
		}
	case "JSON_ARRAYAGG":
		if len(args) != 1 {
			return nil, fmt.Errorf("expr: JSON_ARRAYAGG takes one argument")
		}
		if onNull == "" {
			onNull = "ABSENT"
		}
	default:
		return nil, fmt.Errorf("expr: no aggregate function %s", up)
	}
	vt := nullTo(args[valueAt], table.StringType())
	node, err := jsonNodeFunc(vt, nil)
	if err != nil {
		return nil, fmt.Errorf("expr: %s of %s: %v", up, vt, err)
	}
	return &jsonAgg{name: up, onNull: onNull, raw: raw, node: node, valueAt: valueAt}, nil
}

// jsonAgg: acc = [the JSON texts of the values (JSON_OBJECTAGG: "key"
// then value, alternating) in arrival order, texts retracted before they
// were added].
type jsonAgg struct {
	name    string
	onNull  string
	raw     bool
	node    func(table.Value) (any, error)
	valueAt int
}

func (a *jsonAgg) Name() string           { return a.name }
func (a *jsonAgg) ResultType() table.Type { return tString }
func (a *jsonAgg) AccTypes() []table.Type { return []table.Type{tStrArray, tStrArray} }
func (a *jsonAgg) Init(acc []table.Value) { acc[0], acc[1] = table.Array(nil), table.Array(nil) }
func (a *jsonAgg) CanRetract() bool       { return true }

// text returns the JSON text of a row's value; ok false when it is left
// out (ABSENT ON NULL).
func (a *jsonAgg) text(args []table.Value) (string, bool, error) {
	v := args[a.valueAt]
	if v.IsNull() {
		return "null", a.onNull != "ABSENT", nil
	}
	if a.raw {
		return v.AsString(), true, nil
	}
	n, err := a.node(v)
	if err != nil {
		return "", false, err
	}
	return string(appendJSONSorted(nil, n)), true, nil
}

func (a *jsonAgg) keyOf(args []table.Value) (string, error) {
	if args[0].IsNull() {
		return "", fmt.Errorf("the key of JSON_OBJECTAGG is NULL")
	}
	return string(appendJSONQuoted(nil, args[0].AsString())), nil
}

func (a *jsonAgg) Add(acc, args []table.Value) error {
	t, ok, err := a.text(args)
	if err != nil || !ok {
		return err
	}
	if a.name == "JSON_ARRAYAGG" {
		return (&listAgg{}).Add(acc, []table.Value{table.Str(t)})
	}
	k, err := a.keyOf(args)
	if err != nil {
		return err
	}
	es := acc[0].Elems()
	for i := 0; i+1 < len(es); i += 2 {
		if es[i].AsString() == k {
			return fmt.Errorf("JSON_OBJECTAGG: key %s is already present (keys must be unique)", k)
		}
	}
	acc[0] = withValue(withValue(acc[0], table.Str(k)), table.Str(t))
	return nil
}

func (a *jsonAgg) Retract(acc, args []table.Value) error {
	if a.name == "JSON_ARRAYAGG" {
		t, ok, err := a.text(args)
		if err != nil || !ok {
			return err
		}
		return (&listAgg{}).Retract(acc, []table.Value{table.Str(t)})
	}
	k, err := a.keyOf(args)
	if err != nil {
		return err
	}
	es := acc[0].Elems()
	for i := 0; i+1 < len(es); i += 2 {
		if es[i].AsString() == k {
			out := make([]table.Value, 0, len(es)-2)
			acc[0] = table.Array(append(append(out, es[:i]...), es[i+2:]...))
			return nil
		}
	}
	return nil
}

func (a *jsonAgg) Merge(acc, other []table.Value) error {
	if a.name == "JSON_ARRAYAGG" {
		tmp := []table.Value{acc[0], acc[1], table.Null}
		if err := (&listAgg{}).Merge(tmp, []table.Value{other[0], other[1], table.Null}); err != nil {
			return err
		}
		acc[0], acc[1] = tmp[0], tmp[1]
		return nil
	}
	// One set of the keys, not a scan of acc's keys per key of other.
	mine, es := acc[0].Elems(), other[0].Elems()
	if len(es) == 0 {
		return nil
	}
	seen := make(map[string]struct{}, len(mine)/2)
	for j := 0; j+1 < len(mine); j += 2 {
		seen[mine[j].AsString()] = struct{}{}
	}
	out := make([]table.Value, 0, len(mine)+len(es))
	out = append(out, mine...)
	for i := 0; i+1 < len(es); i += 2 {
		k := es[i].AsString()
		if _, dup := seen[k]; dup {
			return fmt.Errorf("JSON_OBJECTAGG: key %s is already present (keys must be unique)", k)
		}
		seen[k] = struct{}{}
		out = append(out, es[i], es[i+1])
	}
	acc[0] = table.Array(out)
	return nil
}

func (a *jsonAgg) Result(acc []table.Value) (table.Value, error) {
	es := acc[0].Elems()
	var b strings.Builder
	if a.name == "JSON_ARRAYAGG" {
		b.WriteByte('[')
		for i, e := range es {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(e.AsString())
		}
		b.WriteByte(']')
		return table.Str(b.String()), nil
	}
	// The keys sorted as Flink's SqlJsonUtils.serializeJson sorts them
	// (Java's String.compareTo over the keys, not their quoted forms).
	keys := make([]string, 0, len(es)/2)
	for i := 0; i+1 < len(es); i += 2 {
		keys = append(keys, jsonUnquote(es[i].AsString()))
	}
	order := javaSortedOrder(keys)
	b.WriteByte('{')
	for i := range keys {
		j := i
		if order != nil {
			j = order[i]
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(es[2*j].AsString())
		b.WriteByte(':')
		b.WriteString(es[2*j+1].AsString())
	}
	b.WriteByte('}')
	return table.Str(b.String()), nil
}

// jsonUnquote returns the string of a JSON string literal written by
// appendJSONQuoted (q itself when it is not one).
func jsonUnquote(q string) string {
	if !strings.Contains(q, "\\") && len(q) >= 2 {
		return q[1 : len(q)-1]
	}
	var k string
	if err := json.Unmarshal([]byte(q), &k); err != nil {
		return q
	}
	return k
}

// IsJSONConstructorCall reports whether e is a JSON_OBJECT or JSON_ARRAY
// call (whose text JSON_OBJECTAGG and JSON_ARRAYAGG insert as JSON).
func IsJSONConstructorCall(e Expr) bool { return isJSONConstructor(e) }
