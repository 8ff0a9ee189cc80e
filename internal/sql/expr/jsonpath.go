package expr

// The JSON value model and the SQL/JSON path language of the JSON
// functions (jsonfn.go), after Flink, which runs Calcite's JsonFunctions
// over Jayway JsonPath with Jackson:
//
//   - a path is "[lax|strict] spec" (case-insensitive mode; none: strict);
//     spec is $ followed by .key, ['key'] / ["key"], .[...], [n] (negative
//     n counts from the end), [*] and .*; a spec not starting with $ is
//     read as "$." + spec (Jayway). Deep scan (..), filters, slices, unions
//     and functions are not supported: such a path is an error (handled by
//     ON ERROR, as Calcite's path errors are).
//   - a definite path (no wildcard) gives one value: in strict mode a
//     missing key, an index out of bounds or a step into a value of the
//     wrong kind is an error, and so is a JSON null result ("strict mode
//     requires a non empty value"); in lax mode all of these give null.
//   - a path with a wildcard gives the array of its matches (possibly
//     empty); only a step before the first wildcard can fail (strict).
//   - JSON text is parsed as Jackson does by default (RFC 8259, no NaN, no
//     comments), objects keep their key order (a repeated key keeps its
//     first place and its last value); numbers keep Jackson's Java types:
//     an integer literal is printed as its digits ("-0" as 0), one with a
//     fraction or exponent as Java's Double.toString ("1.0", "1.0E21");
//     a number of more than 1000 digits is invalid (Jackson's
//     StreamReadConstraints.maxNumberLength).
//     Unlike Jackson, text after the first value is an error.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stromio/strom/table"
)

// jsonNumber is a JSON number in its canonical text (Jackson's Java value
// printed back).
type jsonNumber string

// jsonObject is a JSON object with its keys in order.
type jsonObject struct {
	keys []string
	vals []any
	idx  map[string]int
}

func (o *jsonObject) get(k string) (any, bool) {
	if o.idx != nil {
		i, ok := o.idx[k]
		if !ok {
			return nil, false
		}
		return o.vals[i], true
	}
	for i, x := range o.keys {
		if x == k {
			return o.vals[i], true
		}
	}
	return nil, false
}

// put sets k: a key already present keeps its place (LinkedHashMap).
func (o *jsonObject) put(k string, v any) {
	if o.idx == nil && len(o.keys) >= 8 {
		o.idx = make(map[string]int, len(o.keys)*2)
		for i, x := range o.keys {
			o.idx[x] = i
		}
	}
	if o.idx != nil {
		if i, ok := o.idx[k]; ok {
			o.vals[i] = v
			return
		}
		o.idx[k] = len(o.keys)
	} else {
		for i, x := range o.keys {
			if x == k {
				o.vals[i] = v
				return
			}
		}
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
}

// jsonRaw is JSON text inserted as is (a nested JSON_OBJECT/JSON_ARRAY).
type jsonRaw string

const jsonMaxDepth = 1000 // Jackson's default StreamReadConstraints

var errJSONDepth = errors.New("JSON nesting deeper than 1000")

// parseJSONText parses one JSON value.
func parseJSONText(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	v, err := decodeJSONValue(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("text after the JSON value")
		}
		return nil, err
	}
	return v, nil
}

func decodeJSONValue(d *json.Decoder, depth int) (any, error) {
	t, err := d.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return decodeJSONToken(d, t, depth)
}

func decodeJSONToken(d *json.Decoder, t json.Token, depth int) (any, error) {
	switch x := t.(type) {
	case json.Delim:
		if depth >= jsonMaxDepth {
			return nil, errJSONDepth
		}
		switch x {
		case '[':
			arr := []any{}
			for d.More() {
				v, err := decodeJSONValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			if _, err := d.Token(); err != nil { // ]
				return nil, err
			}
			return arr, nil
		case '{':
			obj := &jsonObject{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				v, err := decodeJSONValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				obj.put(k, v)
			}
			if _, err := d.Token(); err != nil { // }
				return nil, err
			}
			return obj, nil
		}
		return nil, fmt.Errorf("unexpected %v", x)
	case json.Number:
		return canonicalJSONNumber(string(x))
	case string, bool, nil:
		return x, nil
	}
	return nil, fmt.Errorf("unexpected token %v", t)
}

// jsonMaxNumberDigits is Jackson's StreamReadConstraints.maxNumberLength
// (default 1000), which Flink inherits: a number literal with more digits
// (integer part, fraction and exponent together; the signs, '.' and 'e' not
// counted) is not valid JSON.
const jsonMaxNumberDigits = 1000

// canonicalJSONNumber prints a JSON number literal as Jackson's Java value
// would be printed. Its cost is linear in the literal's length, which is
// bounded by jsonMaxNumberDigits.
func canonicalJSONNumber(s string) (jsonNumber, error) {
	digits := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			digits++
		}
	}
	if digits > jsonMaxNumberDigits {
		return "", fmt.Errorf("number of %d digits exceeds the maximum length (%d)", digits, jsonMaxNumberDigits)
	}
	if strings.ContainsAny(s, ".eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return "", err
		}
		return jsonNumber(table.AppendJavaDouble(nil, f)), nil
	}
	if s == "-0" {
		return "0", nil
	}
	// A JSON integer has no leading zeros (the decoder refuses them), so
	// BigInteger's toString of it is the literal itself.
	return jsonNumber(s), nil
}

// appendJSON appends v as compact JSON text (Jackson's writeValueAsString),
// objects with their keys in order (JSON_QUERY: the input's order).
func appendJSON(dst []byte, v any) []byte { return appendJSONValue(dst, v, false) }

// appendJSONSorted appends v as compact JSON text with the keys of every
// object sorted in Java's String.compareTo order, as Flink's
// SqlJsonUtils.serializeJson (ORDER_MAP_ENTRIES_BY_KEYS) writes the output
// of JSON_OBJECT, JSON_ARRAY, JSON_STRING and the JSON aggregates. A
// jsonRaw (a nested constructor's text) is already sorted.
func appendJSONSorted(dst []byte, v any) []byte { return appendJSONValue(dst, v, true) }

func appendJSONValue(dst []byte, v any, sorted bool) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case bool:
		return strconv.AppendBool(dst, x)
	case jsonNumber:
		if x == "NaN" || x == "Infinity" || x == "-Infinity" {
			return appendJSONQuoted(dst, string(x)) // Jackson's QUOTE_NON_NUMERIC_NUMBERS
		}
		return append(dst, x...)
	case string:
		return appendJSONQuoted(dst, x)
	case jsonRaw:
		return append(dst, x...)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, e, sorted)
		}
		return append(dst, ']')
	case *jsonObject:
		var order []int
		if sorted {
			order = javaSortedOrder(x.keys)
		}
		dst = append(dst, '{')
		for i := range x.keys {
			j := i
			if order != nil {
				j = order[i]
			}
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONQuoted(dst, x.keys[j])
			dst = append(dst, ':')
			dst = appendJSONValue(dst, x.vals[j], sorted)
		}
		return append(dst, '}')
	}
	panic(fmt.Sprintf("expr: no JSON form for %T", v))
}

// javaSortedOrder returns the indexes of keys in Java's String.compareTo
// order (nil when they are in order already).
func javaSortedOrder(keys []string) []int {
	inOrder := true
	for i := 1; i < len(keys); i++ {
		if javaCompare(keys[i-1], keys[i]) > 0 {
			inOrder = false
			break
		}
	}
	if inOrder {
		return nil
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return javaCompare(keys[order[a]], keys[order[b]]) < 0 })
	return order
}

// javaCompare compares a and b as Java's String.compareTo compares their
// UTF-16 forms: code unit by code unit. It differs from Go's byte (code
// point) order for a character above U+FFFF, whose surrogates (D800-DFFF)
// sort before U+E000-U+FFFF. Invalid UTF-8, which Java would have read as
// U+FFFD, compares as U+FFFD, then by bytes.
func javaCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] < utf8.RuneSelf && b[j] < utf8.RuneSelf {
			if a[i] != b[j] {
				return int(a[i]) - int(b[j])
			}
			i++
			j++
			continue
		}
		ra, na := utf8.DecodeRuneInString(a[i:])
		rb, nb := utf8.DecodeRuneInString(b[j:])
		if ra != rb {
			return utf16Unit(ra) - utf16Unit(rb)
		}
		i += na
		j += nb
	}
	switch {
	case i < len(a):
		return 1
	case j < len(b):
		return -1
	}
	return strings.Compare(a, b)
}

// utf16Unit is an order key of r among runes that differ from it: the first
// UTF-16 code unit, refined by the code point (two runes above U+FFFF with
// the same high surrogate compare by their low ones, in code point order).
func utf16Unit(r rune) int {
	if r >= 0x10000 {
		return (0xD800+int((r-0x10000)>>10))<<21 | int(r)
	}
	return int(r) << 21
}

// appendJSONQuoted appends s as a JSON string the way Jackson escapes it:
// quote, backslash, \b \t \n \f \r, other control characters as \u00XX
// (upper-case hex); everything else as is.
func appendJSONQuoted(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, "\uFFFD"...)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
		i++
	}
	return append(dst, '"')
}

// isJSONScalar is Calcite's isScalarObject (null excluded by the callers).
func isJSONScalar(v any) bool {
	switch v.(type) {
	case []any, *jsonObject:
		return false
	}
	return true
}

type jsonStepKind uint8

const (
	stepKey jsonStepKind = iota
	stepIndex
	stepWildcard
)

type jsonStep struct {
	kind  jsonStepKind
	key   string
	index int
}

// jsonPath is a compiled SQL/JSON path.
type jsonPath struct {
	strict   bool
	definite bool
	steps    []jsonStep
	text     string
}

// jsonPathError is a path that does not compile.
type jsonPathError struct {
	path string
	msg  string
}

func (e *jsonPathError) Error() string { return fmt.Sprintf("invalid JSON path %q: %s", e.path, e.msg) }

// parseJSONPath compiles "[lax|strict] spec".
func parseJSONPath(text string) (*jsonPath, error) {
	p := &jsonPath{strict: true, text: text}
	spec := text
	t := strings.TrimLeft(text, " \t\n\r\f\v")
	for _, m := range []string{"strict", "lax"} {
		if len(t) > len(m) && strings.EqualFold(t[:len(m)], m) && isPathSpace(t[len(m)]) {
			p.strict = m == "strict"
			spec = t[len(m):]
			break
		}
	}
	bad := func(format string, args ...any) (*jsonPath, error) {
		return nil, &jsonPathError{path: text, msg: fmt.Sprintf(format, args...)}
	}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return bad("the path is empty")
	}
	if spec[0] != '$' {
		spec = "$." + spec
	}
	i := 1
	p.definite = true
	for i < len(spec) {
		switch spec[i] {
		case '.':
			i++
			if i >= len(spec) {
				return bad("the path ends with '.'")
			}
			switch spec[i] {
			case '.':
				return bad("deep scan (..) is not supported")
			case '[':
				continue
			case '*':
				p.steps = append(p.steps, jsonStep{kind: stepWildcard})
				p.definite = false
				i++
				continue
			}
			j := i
			for j < len(spec) && spec[j] != '.' && spec[j] != '[' {
				switch spec[j] {
				case ' ':
					return bad("use ['my key'] for a key with blanks (at %d)", j)
				case '(':
					return bad("functions are not supported (at %d)", j)
				}
				j++
			}
			p.steps = append(p.steps, jsonStep{kind: stepKey, key: spec[i:j]})
			i = j
		case '[':
			j := i + 1
			for j < len(spec) && spec[j] == ' ' {
				j++
			}
			if j >= len(spec) {
				return bad("unclosed '['")
			}
			switch c := spec[j]; {
			case c == '\'' || c == '"':
				var key strings.Builder
				k := j + 1
				for ; k < len(spec) && spec[k] != c; k++ {
					if spec[k] == '\\' && k+1 < len(spec) {
						k++
					}
					key.WriteByte(spec[k])
				}
				if k >= len(spec) {
					return bad("unclosed quote at %d", j)
				}
				k++
				for k < len(spec) && spec[k] == ' ' {
					k++
				}
				if k >= len(spec) || spec[k] != ']' {
					return bad("expected ']' at %d (several keys are not supported)", k)
				}
				p.steps = append(p.steps, jsonStep{kind: stepKey, key: key.String()})
				i = k + 1
			case c == '*':
				k := j + 1
				for k < len(spec) && spec[k] == ' ' {
					k++
				}
				if k >= len(spec) || spec[k] != ']' {
					return bad("expected ']' at %d", k)
				}
				p.steps = append(p.steps, jsonStep{kind: stepWildcard})
				p.definite = false
				i = k + 1
			case c == '-' || (c >= '0' && c <= '9'):
				k := j + 1
				for k < len(spec) && spec[k] >= '0' && spec[k] <= '9' {
					k++
				}
				n, err := strconv.Atoi(spec[j:k])
				if err != nil || n > math.MaxInt32 || n < math.MinInt32 {
					return bad("bad array index %q", spec[j:k])
				}
				for k < len(spec) && spec[k] == ' ' {
					k++
				}
				if k >= len(spec) || spec[k] != ']' {
					return bad("expected ']' at %d (slices and several indexes are not supported)", k)
				}
				p.steps = append(p.steps, jsonStep{kind: stepIndex, index: n})
				i = k + 1
			default:
				return bad("unsupported bracket expression at %d", j)
			}
		default:
			return bad("unexpected %q at %d", spec[i], i)
		}
	}
	return p, nil
}

func isPathSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// jsonPathNotFound is a strict path's failed step.
type jsonPathNotFound struct{ msg string }

func (e *jsonPathNotFound) Error() string { return e.msg }

// eval applies the path to root: the value found (nil for JSON null or
// nothing found in lax mode; an []any of the matches for a path with a
// wildcard) or, in strict mode, an error.
func (p *jsonPath) eval(root any) (any, error) {
	if !p.definite {
		out := []any{}
		if err := p.walk(root, 0, true, &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	cur := root
	for i, s := range p.steps {
		next, ok := jsonStepInto(cur, s)
		if !ok {
			if p.strict {
				return nil, &jsonPathNotFound{msg: fmt.Sprintf("no results for path %s at step %d (%s)", p.text, i+1, stepText(s))}
			}
			return nil, nil
		}
		cur = next
	}
	if cur == nil && p.strict {
		return nil, &jsonPathNotFound{msg: "strict path mode requires a non empty value, but it is null"}
	}
	return cur, nil
}

func stepText(s jsonStep) string {
	switch s.kind {
	case stepKey:
		return strconv.Quote(s.key)
	case stepIndex:
		return "[" + strconv.Itoa(s.index) + "]"
	}
	return "[*]"
}

func jsonStepInto(cur any, s jsonStep) (any, bool) {
	switch s.kind {
	case stepKey:
		o, ok := cur.(*jsonObject)
		if !ok {
			return nil, false
		}
		return o.get(s.key)
	case stepIndex:
		a, ok := cur.([]any)
		if !ok {
			return nil, false
		}
		i := s.index
		if i < 0 {
			i += len(a)
		}
		if i < 0 || i >= len(a) {
			return nil, false
		}
		return a[i], true
	}
	return nil, false
}

// walk collects the matches of an indefinite path (Jayway: a failed step
// is an error only in strict mode and only before the first wildcard; a
// missing key as the last step never is).
func (p *jsonPath) walk(cur any, i int, upDefinite bool, out *[]any) error {
	if i == len(p.steps) {
		*out = append(*out, cur)
		return nil
	}
	s := p.steps[i]
	if s.kind == stepWildcard {
		switch x := cur.(type) {
		case []any:
			for _, e := range x {
				if err := p.walk(e, i+1, false, out); err != nil {
					return err
				}
			}
		case *jsonObject:
			for _, e := range x.vals {
				if err := p.walk(e, i+1, false, out); err != nil {
					return err
				}
			}
		}
		return nil
	}
	next, ok := jsonStepInto(cur, s)
	if !ok {
		fail := p.strict && upDefinite
		if s.kind == stepKey {
			if _, isObj := cur.(*jsonObject); isObj && i == len(p.steps)-1 {
				fail = false
			}
		}
		if s.kind == stepIndex {
			if a, isArr := cur.([]any); isArr && a != nil {
				fail = false // out of bounds: no match
			}
		}
		if fail {
			return &jsonPathNotFound{msg: fmt.Sprintf("missing %s in path %s", stepText(s), p.text)}
		}
		return nil
	}
	return p.walk(next, i+1, upDefinite, out)
}

// jsonText returns the JSON_VALUE text of a scalar.
func jsonScalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case jsonNumber:
		return string(x)
	}
	return string(appendJSON(nil, v))
}
