package format

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/stromio/strom/table"
)

// This file holds the row formats of SQL tables: table.Row for a
// table.Schema, in JSON, CSV and raw bytes. A row format reads and writes
// every column of the schema it is given, in order: a connector passes the
// physical columns (Physical) and fills metadata columns itself.

// RowJSONOptions configure RowJSON.
type RowJSONOptions struct {
	// Changelog makes the format carry the row kind: Encode writes
	// "op":"+I"|"-U"|"+U"|"-D" as the first member of every object (the
	// Nexmark spec §3.3, as Flink prints a changelog) and Decode reads it
	// (a missing "op" is +I). Without it Encode rejects rows that are not
	// inserts and Decode ignores an "op" key. A schema with a column named
	// "op" cannot be a changelog: Encode fails (NewRowFormat says so up
	// front).
	Changelog bool
	// TimestampISO makes Encode write TIMESTAMP columns (top-level ones;
	// inside ARRAY, MAP and ROW values they stay numbers) as ISO-8601 text
	// ("2024-01-31 12:00:00.123", Flink's 'json.timestamp-format.standard'
	// = 'SQL'; "T" separated with ISO8601) instead of epoch milliseconds.
	// Decode reads both forms either way.
	TimestampISO bool
	// TimestampT uses 'T' between date and time with TimestampISO
	// (Flink's 'ISO-8601' standard).
	TimestampT bool
}

// RowJSON is one JSON object per row: the keys are the column names (see
// table.AppendJSON for the value forms). Decode reads TIMESTAMP from epoch
// milliseconds or ISO-8601 text, numbers also from strings, matches keys
// exactly then case-insensitively, ignores unknown keys, reads a missing
// key of a nullable column as NULL and rejects a missing or null NOT NULL
// column, naming it. Encode writes TIMESTAMP as epoch milliseconds (see
// RowJSONOptions.TimestampISO). Errors are *Error of class "json".
func RowJSON(schema table.Schema, o RowJSONOptions) Format[table.Row] {
	f := &rowJSON{schema: schema, o: o, opIdx: -1}
	if o.Changelog && schema.Index("op") < 0 {
		cols := append(append([]table.Column(nil), schema.Columns...), table.Column{Name: "op", Type: table.StringType()})
		f.parse = table.Schema{Columns: cols}
		f.opIdx = len(cols) - 1
	} else {
		f.parse = schema
	}
	return f
}

type rowJSON struct {
	schema table.Schema
	parse  table.Schema // schema plus "op" for a changelog
	opIdx  int
	o      RowJSONOptions
}

func (f *rowJSON) Decode(b []byte) (r table.Row, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = table.Row{}, &Error{Class: ClassJSON, Reason: fmt.Sprintf("decoder panic: %v", p)}
		}
	}()
	r, err = table.ParseJSON(b, &f.parse)
	if err != nil {
		return table.Row{}, newError(ClassJSON, err, "%v", strings.TrimPrefix(err.Error(), "table: "))
	}
	if f.opIdx >= 0 {
		op := r.Fields[f.opIdx]
		r.Fields = r.Fields[:f.opIdx:f.opIdx]
		if !op.IsNull() {
			k, ok := table.ParseRowKind(op.AsString())
			if !ok {
				return table.Row{}, newError(ClassJSON, nil, `"op" is %q, want "+I", "-U", "+U" or "-D"`, op.AsString())
			}
			r.Kind = k
		}
	}
	if err := checkNotNull(r, &f.schema); err != nil {
		err.Class = ClassJSON
		return table.Row{}, err
	}
	return r, nil
}

func checkNotNull(r table.Row, s *table.Schema) *Error {
	for i, c := range s.Columns {
		if r.Fields[i].IsNull() && !c.Type.Nullable() {
			return &Error{Reason: fmt.Sprintf("field %q is missing or null, but the column is NOT NULL", c.Name)}
		}
	}
	return nil
}

func (f *rowJSON) Encode(r table.Row, dst []byte) ([]byte, error) {
	n := len(dst)
	if f.o.Changelog && f.opIdx < 0 {
		return dst, newError(ClassJSON, nil, `the column "op" clashes with the "op" field of the changelog`)
	}
	if r.Kind != table.Insert && !f.o.Changelog {
		return dst, newError(ClassJSON, nil, "a %s row needs a changelog format (the row is an update or delete)", r.Kind)
	}
	if len(r.Fields) != len(f.schema.Columns) {
		return dst, newError(ClassJSON, nil, "row has %d fields, the schema %d columns", len(r.Fields), len(f.schema.Columns))
	}
	if f.o.Changelog {
		dst = append(dst, `{"op":"`...)
		dst = append(dst, r.Kind.String()...)
		dst = append(dst, '"')
		if len(r.Fields) == 0 {
			return append(dst, '}'), nil
		}
		dst = append(dst, ',')
	}
	start := len(dst)
	var err error
	if f.o.TimestampISO && hasTimestamp(&f.schema) {
		dst, err = f.appendISO(dst, r)
	} else {
		dst, err = table.AppendJSON(dst, r, &f.schema)
	}
	if err != nil {
		return dst[:n], newError(ClassJSON, err, "%v", strings.TrimPrefix(err.Error(), "table: "))
	}
	if f.o.Changelog { // drop the '{' AppendJSON wrote: ours opened the object
		copy(dst[start:], dst[start+1:])
		dst = dst[:len(dst)-1]
	}
	return dst, nil
}

func hasTimestamp(s *table.Schema) bool {
	for _, c := range s.Columns {
		if c.Type.IsTimestamp() {
			return true
		}
	}
	return false
}

// appendISO writes the object with top-level TIMESTAMP columns as text, as
// Flink's json format (TimeFormats): as many fraction digits as the value
// needs whatever the precision, a TIMESTAMP_LTZ (in UTC) with a 'Z'; each
// column is written through AppendJSON of a one-column schema.
func (f *rowJSON) appendISO(dst []byte, r table.Row) ([]byte, error) {
	dst = append(dst, '{')
	for i, c := range f.schema.Columns {
		if i > 0 {
			dst = append(dst, ',')
		}
		one := table.Schema{Columns: []table.Column{c}}
		v := r.Fields[i]
		if c.Type.IsTimestamp() && !v.IsNull() {
			one.Columns[0].Type = table.StringType()
			ms, ns := v.AsTimestamp()
			ts := table.AppendTimestampPrec(nil, ms, ns, 0)
			if f.o.TimestampT {
				ts[10] = 'T'
			}
			if c.Type.Root() == table.RootTimestampLTZ {
				ts = append(ts, 'Z')
			}
			v = table.Str(string(ts))
		}
		b, err := table.AppendJSON(nil, table.Row{Fields: []table.Value{v}}, &one)
		if err != nil {
			return dst, err
		}
		dst = append(dst, b[1:len(b)-1]...)
	}
	return append(dst, '}'), nil
}

// RowCSVOptions configure RowCSV.
type RowCSVOptions struct {
	// Comma is the field delimiter (default ',').
	Comma rune
	// NullLiteral is the text of NULL (Flink's 'csv.null-literal'; default
	// ""). With the default an empty field is NULL for every type but
	// CHAR/VARCHAR, where it is the empty string (so a NULL string is
	// written as an empty field and read back as ""); set a NullLiteral to
	// keep NULL strings apart.
	NullLiteral string
}

// RowCSV is one CSV record (RFC 4180, no line ending) per row, the columns
// by position, Flink's csv format: BOOLEAN true/false, numbers as text,
// BYTES base64, DATE yyyy-MM-dd, TIME HH:mm:ss[.fff], TIMESTAMP
// "yyyy-MM-dd HH:mm:ss[.fff]" (read also from ISO-8601 text and epoch
// milliseconds), NULL as NullLiteral. Composite types (ARRAY, MAP, ROW) are
// not supported: RowCSV returns an error naming the column. Rows must be
// inserts (CSV has no row kind). A record with a different number of fields
// than columns is an error. Errors are *Error of class "csv".
func RowCSV(schema table.Schema, o RowCSVOptions) (Format[table.Row], error) {
	if o.Comma == 0 {
		o.Comma = ','
	}
	if o.Comma == '"' || o.Comma == '\r' || o.Comma == '\n' || o.Comma == utf8.RuneError || !utf8.ValidRune(o.Comma) {
		return nil, fmt.Errorf("strom: format: csv: invalid field delimiter %q", o.Comma)
	}
	for _, c := range schema.Columns {
		switch c.Type.Root() {
		case table.RootArray, table.RootMap, table.RootRow, table.RootNull:
			return nil, fmt.Errorf("strom: format: csv: column %q: type %s is not supported by the csv format", c.Name, c.Type)
		}
	}
	f := &rowCSV{schema: schema, o: o}
	f.pool.New = func() any { return newCSVSplitter(o.Comma) }
	return f, nil
}

type rowCSV struct {
	schema table.Schema
	o      RowCSVOptions
	pool   sync.Pool
}

func (f *rowCSV) Decode(b []byte) (table.Row, error) {
	b = trimLineEnd(b)
	if !utf8.Valid(b) {
		return table.Row{}, csvError(invalidUTF8(b))
	}
	sp := f.pool.Get().(*csvSplitter)
	defer f.pool.Put(sp)
	if e := sp.split(b); e != nil {
		return table.Row{}, e
	}
	if sp.n() != len(f.schema.Columns) {
		return table.Row{}, csvError(fmt.Sprintf("record has %d fields, want %d (%s)", sp.n(), len(f.schema.Columns), strings.Join(f.schema.Names(), ", ")))
	}
	fields := make([]table.Value, len(f.schema.Columns))
	for i, c := range f.schema.Columns {
		s := string(sp.field(i))
		if s == f.o.NullLiteral && (f.o.NullLiteral != "" || !c.Type.IsString()) {
			if !c.Type.Nullable() {
				return table.Row{}, csvError(fmt.Sprintf("field %q (column %d) is null, but the column is NOT NULL", c.Name, i+1))
			}
			continue
		}
		v, err := ParseText(s, c.Type)
		if err != nil {
			return table.Row{}, &Error{Class: ClassCSV, Reason: fmt.Sprintf("field %q (column %d): %v", c.Name, i+1, err), Err: err}
		}
		fields[i] = v
	}
	return table.Row{Fields: fields}, nil
}

func (f *rowCSV) Encode(r table.Row, dst []byte) ([]byte, error) {
	return f.encode(r, nil, dst)
}

// encode appends the fields of r at idx (nil: all of them) as one CSV
// record. Each field's text is appended to dst in place and quoted
// afterwards in the rare case it needs it: no scratch buffer per call.
func (f *rowCSV) encode(r table.Row, idx []int, dst []byte) ([]byte, error) {
	if r.Kind != table.Insert {
		return dst, csvError(fmt.Sprintf("cannot write a %s row: the csv format has no row kind (use json for updating results)", r.Kind))
	}
	n := len(r.Fields)
	if idx != nil {
		n = len(idx)
	}
	if n != len(f.schema.Columns) {
		return dst, csvError(fmt.Sprintf("row has %d fields, the schema %d columns", n, len(f.schema.Columns)))
	}
	for i := range n {
		v := r.Fields[i]
		if idx != nil {
			v = r.Fields[idx[i]]
		}
		if i > 0 {
			dst = utf8.AppendRune(dst, f.o.Comma)
		}
		if v.IsNull() {
			dst = appendCSVField(dst, f.o.NullLiteral, f.o.Comma)
			continue
		}
		start := len(dst)
		if v.Kind() == table.KindTimestamp {
			// Flink's csv: yyyy-MM-dd HH:mm:ss with as many fraction
			// digits as the value needs (ISO_LOCAL_TIME), whatever p.
			ms, ns := v.AsTimestamp()
			dst = table.AppendTimestampPrec(dst, ms, ns, 0)
		} else {
			dst = AppendText(dst, v)
		}
		if csvNeedsQuote(dst[start:], f.o.Comma) {
			field := string(dst[start:])
			dst = appendCSVField(dst[:start], field, f.o.Comma)
		}
	}
	return dst, nil
}

// AppendText appends a scalar value as the text ParseText reads back:
// BOOLEAN true/false, numbers (floats shortest, NaN, Infinity, -Infinity),
// DECIMAL with its scale, strings as they are, BYTES base64, DATE, TIME and
// TIMESTAMP in SQL form (yyyy-MM-dd HH:mm:ss[.fff]). NULL appends nothing;
// composite values their table.AppendText form.
func AppendText(dst []byte, v table.Value) []byte {
	switch v.Kind() {
	case table.KindNull:
		return dst
	case table.KindBool:
		return strconv.AppendBool(dst, v.AsBool())
	case table.KindFloat:
		f := v.AsFloat()
		switch {
		case math.IsNaN(f):
			return append(dst, "NaN"...)
		case math.IsInf(f, 1):
			return append(dst, "Infinity"...)
		case math.IsInf(f, -1):
			return append(dst, "-Infinity"...)
		}
		return strconv.AppendFloat(dst, f, 'g', -1, 64)
	case table.KindBytes:
		return base64.StdEncoding.AppendEncode(dst, v.AsBytes())
	}
	return table.AppendText(dst, v)
}

// ParseText reads the text of a scalar value of type t (the forms of
// AppendText; TIMESTAMP also from ISO-8601 text and epoch milliseconds).
func ParseText(s string, t table.Type) (table.Value, error) {
	switch t.Root() {
	case table.RootBoolean:
		switch strings.ToLower(s) {
		case "true":
			return table.Bool(true), nil
		case "false":
			return table.Bool(false), nil
		}
	case table.RootTinyInt, table.RootSmallInt, table.RootInt, table.RootBigInt:
		bits := 64
		switch t.Root() {
		case table.RootTinyInt:
			bits = 8
		case table.RootSmallInt:
			bits = 16
		case table.RootInt:
			bits = 32
		}
		i, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
		if err != nil {
			return table.Null, fmt.Errorf("%q is not a %s", s, t.AsNullable())
		}
		return table.Int(i), nil
	case table.RootFloat, table.RootDouble:
		bits := 64
		if t.Root() == table.RootFloat {
			bits = 32
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), bits)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return table.Null, fmt.Errorf("%q is not a %s", s, t.AsNullable())
		}
		return table.Float(f), nil
	case table.RootDecimal:
		d, err := table.ParseDecimal(strings.TrimSpace(s))
		if err != nil {
			return table.Null, fmt.Errorf("%q is not a %s", s, t.AsNullable())
		}
		if d, err = d.ToType(t.Precision(), t.Scale()); err != nil {
			return table.Null, fmt.Errorf("%s does not fit %s", s, t.AsNullable())
		}
		return table.DecimalValue(d), nil
	case table.RootChar, table.RootVarChar:
		return table.Str(s), nil
	case table.RootBinary, table.RootVarBinary:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return table.Null, fmt.Errorf("%q is not base64 for %s", s, t.AsNullable())
		}
		return table.Bytes(b), nil
	case table.RootDate:
		d, err := table.ParseDate(s)
		if err != nil {
			return table.Null, err
		}
		return table.Date(d), nil
	case table.RootTime:
		ms, err := table.ParseTime(s)
		if err != nil {
			return table.Null, err
		}
		return table.Time(ms), nil
	case table.RootTimestamp, table.RootTimestampLTZ:
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return table.TimestampMillis(ms), nil
		}
		ms, ns, err := table.ParseTimestamp(s)
		if err != nil {
			return table.Null, err
		}
		return table.Timestamp(ms, ns), nil
	}
	return table.Null, fmt.Errorf("%q is not a %s", s, t.AsNullable())
}

// RowRaw is the bytes of a record as the one column of schema, which must be
// BYTES (VARBINARY/BINARY) or STRING (VARCHAR/CHAR; the bytes must then be
// valid UTF-8, else a decode error of class "raw"). A NULL value
// encodes as no bytes; Decode of no bytes (a Kafka tombstone) gives NULL
// when the column is nullable.
func RowRaw(schema table.Schema) (Format[table.Row], error) {
	if len(schema.Columns) != 1 {
		return nil, fmt.Errorf("strom: format: raw: the raw format needs exactly one physical column, the table has %d", len(schema.Columns))
	}
	t := schema.Columns[0].Type
	if !t.IsString() && !t.IsBinary() {
		return nil, fmt.Errorf("strom: format: raw: column %q is %s, the raw format needs BYTES or STRING", schema.Columns[0].Name, t)
	}
	return rowRaw{str: t.IsString(), nullable: t.Nullable()}, nil
}

// ClassRaw is the class of the errors of RowRaw.
const ClassRaw = "raw"

type rowRaw struct{ str, nullable bool }

func (f rowRaw) Decode(b []byte) (table.Row, error) {
	if b == nil && f.nullable {
		return table.Row{Fields: []table.Value{table.Null}}, nil
	}
	if f.str {
		if !utf8.Valid(b) {
			return table.Row{}, &Error{Class: ClassRaw, Reason: invalidUTF8(b)}
		}
		return table.Row{Fields: []table.Value{table.Str(string(b))}}, nil
	}
	return table.Row{Fields: []table.Value{table.Bytes(bytes.Clone(b))}}, nil
}

func (f rowRaw) Encode(r table.Row, dst []byte) ([]byte, error) {
	if r.Kind != table.Insert {
		return dst, &Error{Class: ClassRaw, Reason: fmt.Sprintf("cannot write a %s row: the raw format has no row kind", r.Kind)}
	}
	if len(r.Fields) != 1 {
		return dst, &Error{Class: ClassRaw, Reason: fmt.Sprintf("row has %d fields, want 1", len(r.Fields))}
	}
	v := r.Fields[0]
	switch v.Kind() {
	case table.KindNull:
		return dst, nil
	case table.KindString:
		return append(dst, v.AsString()...), nil
	case table.KindBytes:
		return append(dst, v.AsBytes()...), nil
	}
	return dst, &Error{Class: ClassRaw, Reason: fmt.Sprintf("value of kind %s in the raw column", v.Kind())}
}

// Physical returns the physical columns of s as a schema (what a row format
// reads and writes) and their positions in s. Computed and metadata columns
// are the SQL layer's and the connector's.
func Physical(s table.Schema) (table.Schema, []int) {
	var p table.Schema
	var idx []int
	for i, c := range s.Columns {
		if c.IsPhysical() {
			p.Columns = append(p.Columns, c)
			idx = append(idx, i)
		}
	}
	return p, idx
}
