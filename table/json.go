package table

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// The JSON form of a row for a schema: one object whose keys are the column
// names, in schema order. Values by type:
//
//	BOOLEAN                 true / false
//	integers, intervals     JSON numbers (intervals: millis or months)
//	FLOAT, DOUBLE           JSON numbers (shortest text that reads back);
//	                        NaN and ±Infinity as the strings "NaN",
//	                        "Infinity", "-Infinity"
//	DECIMAL                 a JSON number with exactly the value's digits
//	CHAR, VARCHAR           strings
//	BINARY, VARBINARY       base64 strings (standard alphabet, padded), as
//	                        Flink's json format
//	DATE                    "yyyy-MM-dd"
//	TIME                    "HH:mm:ss[.fff]"
//	TIMESTAMP(_LTZ)         epoch milliseconds as a number, with a fraction
//	                        for sub-millisecond digits (1700000000000.5)
//	ARRAY                   arrays; MAP objects keyed by the keys' text
//	                        (AppendText); ROW objects by field name
//	NULL                    null
//
// The row kind is not part of the object: changelog formats add their own
// "op" field. ParseJSON also reads TIMESTAMP from ISO-8601 text
// ("2024-01-31T12:00:00.123Z", "2024-01-31 12:00:00") and numbers from
// strings for every numeric type; a missing key is NULL, unknown keys are
// skipped, keys match column names exactly, then case-insensitively.

// AppendJSON appends the JSON object of row r for schema s.
func AppendJSON(dst []byte, r Row, s *Schema) ([]byte, error) {
	if len(r.Fields) != len(s.Columns) {
		return dst, fmt.Errorf("table: row has %d fields, schema %d", len(r.Fields), len(s.Columns))
	}
	dst = append(dst, '{')
	for i, c := range s.Columns {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, c.Name)
		dst = append(dst, ':')
		var err error
		if dst, err = appendJSONValue(dst, r.Fields[i], c.Type); err != nil {
			return dst, fmt.Errorf("table: column %q: %w", c.Name, err)
		}
	}
	return append(dst, '}'), nil
}

func appendJSONValue(dst []byte, v Value, t Type) ([]byte, error) {
	if v.IsNull() {
		return append(dst, "null"...), nil
	}
	if v.kind != KindOf(t) {
		return dst, fmt.Errorf("value of kind %s for type %s", v.kind, t)
	}
	switch v.kind {
	case KindBool:
		if v.n != 0 {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case KindInt, KindIntervalDayTime, KindIntervalYearMonth:
		return strconv.AppendInt(dst, v.n, 10), nil
	case KindFloat:
		f := v.AsFloat()
		switch {
		case math.IsNaN(f):
			return append(dst, `"NaN"`...), nil
		case math.IsInf(f, 1):
			return append(dst, `"Infinity"`...), nil
		case math.IsInf(f, -1):
			return append(dst, `"-Infinity"`...), nil
		}
		bits := 64
		if t.root == RootFloat {
			bits = 32
		}
		return strconv.AppendFloat(dst, f, 'g', -1, bits), nil
	case KindDecimal:
		return v.AsDecimal().Append(dst), nil
	case KindString:
		return appendJSONString(dst, v.AsString()), nil
	case KindBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.AsBytes())
		return append(dst, '"'), nil
	case KindDate:
		dst = append(dst, '"')
		dst = AppendDate(dst, v.AsDate())
		return append(dst, '"'), nil
	case KindTime:
		dst = append(dst, '"')
		dst = AppendTimeOfDay(dst, int64(v.AsTime())*1e6, -1)
		return append(dst, '"'), nil
	case KindTimestamp:
		ms, ns := v.AsTimestamp()
		if ns == 0 {
			return strconv.AppendInt(dst, ms, 10), nil
		}
		// ms + ns/1e6 exactly: a decimal with scale 6.
		return NewDecimal(ms, 0).Add(NewDecimal(int64(ns), 6)).Append(dst), nil
	case KindArray:
		dst = append(dst, '[')
		for i, e := range v.Elems() {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSONValue(dst, e, *t.elem); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case KindMap:
		dst = append(dst, '{')
		ks, vs := v.MapEntries()
		for i := range ks {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, string(AppendText(nil, ks[i])))
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSONValue(dst, vs[i], *t.val); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case KindRow:
		es := v.Elems()
		if len(es) != len(t.fields) {
			return dst, fmt.Errorf("row value of %d fields for type %s", len(es), t)
		}
		dst = append(dst, '{')
		for i, f := range t.fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, f.Name)
			dst = append(dst, ':')
			var err error
			if dst, err = appendJSONValue(dst, es[i], f.Type); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	}
	return dst, fmt.Errorf("cannot write %s as JSON", v.kind)
}

func appendJSONString(dst []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// ErrJSON is wrapped by the errors of ParseJSON.
var ErrJSON = errors.New("table: invalid JSON row")

// ParseJSON reads one JSON object as an insert row of schema s (see
// AppendJSON for the forms; trailing data after the object is an error).
func ParseJSON(data []byte, s *Schema) (Row, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := jsonParser{dec: dec}
	fields := make([]Value, len(s.Columns))
	if err := p.object(func(key string) error {
		i := s.Index(key)
		if i < 0 {
			i = s.IndexFold(key)
		}
		if i < 0 {
			return p.skip()
		}
		v, err := p.value(s.Columns[i].Type)
		if err != nil {
			return fmt.Errorf("column %q: %w", s.Columns[i].Name, err)
		}
		fields[i] = v
		return nil
	}); err != nil {
		return Row{}, fmt.Errorf("%w: %w", ErrJSON, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Row{}, fmt.Errorf("%w: data after the object", ErrJSON)
	}
	return Row{Fields: fields}, nil
}

type jsonParser struct{ dec *json.Decoder }

func (p *jsonParser) object(each func(key string) error) error {
	tok, err := p.dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("want an object, got %v", tok)
	}
	return p.members(each)
}

// members reads the members of an object whose '{' has been read, and its '}'.
func (p *jsonParser) members(each func(key string) error) error {
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		if err := each(tok.(string)); err != nil {
			return err
		}
	}
	_, err := p.dec.Token() // '}'
	return err
}

func (p *jsonParser) skip() error {
	depth := 0
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

func (p *jsonParser) value(t Type) (Value, error) {
	if t.root == RootArray || t.root == RootMap || t.root == RootRow {
		return p.composite(t)
	}
	tok, err := p.dec.Token()
	if err != nil {
		return Null, err
	}
	if tok == nil {
		return Null, nil
	}
	switch x := tok.(type) {
	case json.Delim:
		return Null, fmt.Errorf("unexpected %v for %s", x, t)
	case bool:
		if t.root != RootBoolean {
			return Null, fmt.Errorf("boolean for %s", t)
		}
		return Bool(x), nil
	case json.Number:
		return scalarFromText(string(x), t, true)
	case string:
		return scalarFromText(x, t, false)
	}
	return Null, fmt.Errorf("unexpected %v", tok)
}

func scalarFromText(s string, t Type, number bool) (Value, error) {
	switch t.root {
	case RootBoolean:
		switch s {
		case "true", "TRUE", "True":
			return Bool(true), nil
		case "false", "FALSE", "False":
			return Bool(false), nil
		}
	case RootTinyInt, RootSmallInt, RootInt, RootBigInt:
		bits := map[Root]int{RootTinyInt: 8, RootSmallInt: 16, RootInt: 32, RootBigInt: 64}[t.root]
		i, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return Null, fmt.Errorf("%s: %w", t, err)
		}
		return Int(i), nil
	case RootIntervalDayTime, RootIntervalYearMonth:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return Null, fmt.Errorf("%s: %w", t, err)
		}
		return Value{kind: KindOf(t), n: i}, nil
	case RootFloat, RootDouble:
		bits := 64
		if t.root == RootFloat {
			bits = 32
		}
		f, err := strconv.ParseFloat(s, bits)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return Null, fmt.Errorf("%s: %w", t, err)
		}
		return Float(f), nil
	case RootDecimal:
		d, err := ParseDecimal(s)
		if err != nil {
			return Null, err
		}
		d, err = d.ToType(t.Precision(), t.Scale())
		if err != nil {
			return Null, fmt.Errorf("%s for %s: %w", s, t, err)
		}
		return DecimalValue(d), nil
	case RootChar, RootVarChar:
		return Str(s), nil
	case RootBinary, RootVarBinary:
		if number {
			break
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return Null, fmt.Errorf("%s: %w", t, err)
		}
		return Bytes(b), nil
	case RootDate:
		d, err := ParseDate(s)
		if err != nil {
			return Null, err
		}
		return Date(d), nil
	case RootTime:
		ms, err := ParseTime(s)
		if err != nil {
			return Null, err
		}
		return Time(ms), nil
	case RootTimestamp, RootTimestampLTZ:
		if d, err := ParseDecimal(s); err == nil {
			ms, ok := d.Floor().Int64()
			if !ok {
				return Null, fmt.Errorf("timestamp %s out of range", s)
			}
			ns := d.Sub(NewDecimal(ms, 0)).Mul(NewDecimal(1_000_000, 0)).Trunc()
			n, _ := ns.Int64()
			return Timestamp(ms, int32(n)), nil
		}
		ms, ns, err := ParseTimestamp(s)
		if err != nil {
			return Null, err
		}
		return Timestamp(ms, ns), nil
	}
	return Null, fmt.Errorf("%q is not a %s", s, t)
}

func (p *jsonParser) composite(t Type) (Value, error) {
	if !p.dec.More() {
		return Null, fmt.Errorf("missing value for %s", t)
	}
	switch t.root {
	case RootArray:
		tok, err := p.dec.Token()
		if err != nil {
			return Null, err
		}
		if tok == nil {
			return Null, nil
		}
		if tok != json.Delim('[') {
			return Null, fmt.Errorf("want an array for %s, got %v", t, tok)
		}
		var es []Value
		for p.dec.More() {
			v, err := p.value(*t.elem)
			if err != nil {
				return Null, err
			}
			es = append(es, v)
		}
		if _, err := p.dec.Token(); err != nil {
			return Null, err
		}
		return Array(es), nil
	case RootMap, RootRow:
		var ks, vs []Value
		var fs []Value
		if t.root == RootRow {
			fs = make([]Value, len(t.fields))
		}
		tok, err := p.dec.Token()
		if err != nil || tok == nil {
			return Null, err
		}
		if tok != json.Delim('{') {
			return Null, fmt.Errorf("want an object for %s, got %v", t, tok)
		}
		err = p.members(func(key string) error {
			if t.root == RootMap {
				k, err := scalarFromText(key, *t.elem, false)
				if err != nil {
					return err
				}
				v, err := p.value(*t.val)
				if err != nil {
					return err
				}
				ks, vs = append(ks, k), append(vs, v)
				return nil
			}
			for i, f := range t.fields {
				if f.Name == key {
					v, err := p.value(f.Type)
					fs[i] = v
					return err
				}
			}
			return p.skip()
		})
		if err != nil {
			return Null, err
		}
		if t.root == RootMap {
			return Map(ks, vs), nil
		}
		return RowValue(fs), nil
	}
	return Null, fmt.Errorf("not a composite type %s", t)
}
