package format

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// This file maps CSV records onto Go values (both directions) and splits a
// record into fields. A record is RFC 4180: fields separated by Comma,
// optionally quoted with '"' (a quote inside is doubled); a quoted field may
// contain Comma, quotes and line breaks.

// csvSplitter splits records into fields, reusing its buffers.
type csvSplitter struct {
	comma []byte
	buf   []byte
	ends  []int
}

func newCSVSplitter(comma rune) *csvSplitter {
	return &csvSplitter{comma: utf8.AppendRune(nil, comma)}
}

func (p *csvSplitter) n() int { return len(p.ends) }

func (p *csvSplitter) field(i int) []byte {
	start := 0
	if i > 0 {
		start = p.ends[i-1]
	}
	return p.buf[start:p.ends[i]]
}

// split parses one record without its final line ending. On error the
// reason names the 1-based column.
func (p *csvSplitter) split(rec []byte) *Error {
	p.buf, p.ends = p.buf[:0], p.ends[:0]
	for col := 1; ; col++ {
		if len(rec) > 0 && rec[0] == '"' {
			rec = rec[1:]
			for {
				i := bytes.IndexByte(rec, '"')
				if i < 0 {
					return csvError(fmt.Sprintf("unterminated quoted field in column %d", col))
				}
				p.appendQuoted(rec[:i])
				rec = rec[i+1:]
				if len(rec) > 0 && rec[0] == '"' {
					p.buf = append(p.buf, '"')
					rec = rec[1:]
					continue
				}
				break
			}
			p.ends = append(p.ends, len(p.buf))
			if len(rec) == 0 {
				return nil
			}
			if !bytes.HasPrefix(rec, p.comma) {
				return csvError(fmt.Sprintf(`extraneous or missing " in quoted field in column %d`, col))
			}
			rec = rec[len(p.comma):]
			continue
		}
		i := bytes.Index(rec, p.comma)
		f := rec
		if i >= 0 {
			f = rec[:i]
		}
		if bytes.IndexByte(f, '"') >= 0 {
			return csvError(fmt.Sprintf(`bare " in non-quoted field in column %d`, col))
		}
		if bytes.IndexByte(f, '\n') >= 0 { // a record is one line but for quoted fields
			return csvError(fmt.Sprintf("line break in non-quoted field in column %d", col))
		}
		p.buf = append(p.buf, f...)
		p.ends = append(p.ends, len(p.buf))
		if i < 0 {
			return nil
		}
		rec = rec[i+len(p.comma):]
	}
}

// appendQuoted appends the inside of a quoted field, turning "\r\n" into "\n"
// as encoding/csv does.
func (p *csvSplitter) appendQuoted(b []byte) {
	for {
		i := bytes.Index(b, []byte("\r\n"))
		if i < 0 {
			p.buf = append(p.buf, b...)
			return
		}
		p.buf = append(p.buf, b[:i]...)
		p.buf = append(p.buf, '\n')
		b = b[i+2:]
	}
}

// appendCSVField appends f, quoted when needed.
func appendCSVField(dst []byte, f string, comma rune) []byte {
	// A leading BOM is quoted so that it is not taken for a file's BOM.
	need := f != "" && (f[0] == ' ' || f[0] == '\t' || strings.HasPrefix(f, bom) ||
		strings.ContainsAny(f, "\"\r\n") || strings.ContainsRune(f, comma))
	if !need {
		return append(dst, f...)
	}
	dst = append(dst, '"')
	for {
		i := strings.IndexByte(f, '"')
		if i < 0 {
			break
		}
		dst = append(dst, f[:i+1]...)
		dst = append(dst, '"')
		f = f[i+1:]
	}
	dst = append(dst, f...)
	return append(dst, '"')
}

// csvNeedsQuote reports whether appendCSVField quotes the field f: one
// pass over its bytes for an ASCII delimiter.
func csvNeedsQuote(f []byte, comma rune) bool {
	if len(f) == 0 {
		return false
	}
	if f[0] == ' ' || f[0] == '\t' || bytes.HasPrefix(f, []byte(bom)) {
		return true
	}
	if comma >= utf8.RuneSelf {
		return bytes.ContainsAny(f, "\"\r\n") || bytes.ContainsRune(f, comma)
	}
	c := byte(comma)
	for _, b := range f {
		if b == '"' || b == '\r' || b == '\n' || b == c {
			return true
		}
	}
	return false
}

// csvField is one column-mapped field of a struct.
type csvField struct {
	name  string
	index []int
	dec   func(v reflect.Value, s []byte) error
	enc   func(dst []byte, v reflect.Value) ([]byte, error)
	typ   string
}

// csvSchema maps the fields of T. raw is T = []string.
type csvSchema struct {
	raw    bool
	fields []csvField
}

var (
	timeType            = reflect.TypeFor[time.Time]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
	errEmpty            = errors.New("empty")
)

func newCSVSchema(t reflect.Type) (*csvSchema, error) {
	if t == reflect.TypeFor[[]string]() {
		return &csvSchema{raw: true}, nil
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("strom: format: CSV needs a struct type or []string, not %v", t)
	}
	s := &csvSchema{}
	for _, sf := range reflect.VisibleFields(t) {
		if !sf.IsExported() || sf.Anonymous && isStructOrPointer(sf.Type) {
			continue // an embedded struct's fields are promoted
		}
		if throughPointer(t, sf.Index) {
			continue
		}
		tag := sf.Tag.Get("csv")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		dec, enc, err := csvCodecFor(sf.Type)
		if err != nil {
			return nil, fmt.Errorf("strom: format: CSV field %s.%s: %w", t.Name(), sf.Name, err)
		}
		s.fields = append(s.fields, csvField{name: name, index: sf.Index, dec: dec, enc: enc, typ: sf.Type.String()})
	}
	if len(s.fields) == 0 {
		return nil, fmt.Errorf("strom: format: CSV type %v has no exported fields", t)
	}
	return s, nil
}

func isStructOrPointer(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && t != timeType
}

// throughPointer reports whether reaching index goes through an embedded
// pointer (such fields are not mapped: the pointer may be nil).
func throughPointer(t reflect.Type, index []int) bool {
	for _, i := range index[:len(index)-1] {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Pointer {
			return true
		}
		t = f.Type
	}
	return false
}

func csvCodecFor(t reflect.Type) (dec func(reflect.Value, []byte) error, enc func([]byte, reflect.Value) ([]byte, error), err error) {
	if t.Kind() == reflect.Pointer && t != timeType {
		edec, eenc, err := csvCodecFor(t.Elem())
		if err != nil {
			return nil, nil, err
		}
		dec = func(v reflect.Value, s []byte) error {
			if len(s) == 0 {
				v.SetZero()
				return nil
			}
			p := reflect.New(t.Elem())
			if err := edec(p.Elem(), s); err != nil {
				return err
			}
			v.Set(p)
			return nil
		}
		enc = func(dst []byte, v reflect.Value) ([]byte, error) {
			if v.IsNil() {
				return dst, nil
			}
			return eenc(dst, v.Elem())
		}
		return dec, enc, nil
	}
	switch {
	case t == timeType:
		return func(v reflect.Value, s []byte) error {
				if len(s) == 0 {
					return errEmpty
				}
				ms, err := strconv.ParseInt(string(s), 10, 64)
				if err != nil {
					return err
				}
				v.Set(reflect.ValueOf(time.UnixMilli(ms).UTC()))
				return nil
			}, func(dst []byte, v reflect.Value) ([]byte, error) {
				return strconv.AppendInt(dst, v.Interface().(time.Time).UnixMilli(), 10), nil
			}, nil
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		if !t.Implements(textMarshalerType) && !reflect.PointerTo(t).Implements(textMarshalerType) {
			return nil, nil, fmt.Errorf("type %v implements encoding.TextUnmarshaler but not encoding.TextMarshaler", t)
		}
		return func(v reflect.Value, s []byte) error {
				return v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText(s)
			}, func(dst []byte, v reflect.Value) ([]byte, error) {
				var m encoding.TextMarshaler
				if t.Implements(textMarshalerType) {
					m = v.Interface().(encoding.TextMarshaler)
				} else {
					pv := reflect.New(t)
					pv.Elem().Set(v)
					m = pv.Interface().(encoding.TextMarshaler)
				}
				b, err := m.MarshalText()
				return append(dst, b...), err
			}, nil
	}
	switch t.Kind() {
	case reflect.String:
		return func(v reflect.Value, s []byte) error { v.SetString(string(s)); return nil },
			func(dst []byte, v reflect.Value) ([]byte, error) { return append(dst, v.String()...), nil }, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		return func(v reflect.Value, s []byte) error {
				if len(s) == 0 {
					return errEmpty
				}
				n, err := strconv.ParseInt(string(s), 10, bits)
				v.SetInt(n)
				return err
			}, func(dst []byte, v reflect.Value) ([]byte, error) {
				return strconv.AppendInt(dst, v.Int(), 10), nil
			}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		bits := t.Bits()
		return func(v reflect.Value, s []byte) error {
				if len(s) == 0 {
					return errEmpty
				}
				n, err := strconv.ParseUint(string(s), 10, bits)
				v.SetUint(n)
				return err
			}, func(dst []byte, v reflect.Value) ([]byte, error) {
				return strconv.AppendUint(dst, v.Uint(), 10), nil
			}, nil
	case reflect.Float32, reflect.Float64:
		bits := t.Bits()
		return func(v reflect.Value, s []byte) error {
				if len(s) == 0 {
					return errEmpty
				}
				f, err := strconv.ParseFloat(string(s), bits)
				v.SetFloat(f)
				return err
			}, func(dst []byte, v reflect.Value) ([]byte, error) {
				return strconv.AppendFloat(dst, v.Float(), 'g', -1, bits), nil
			}, nil
	case reflect.Bool:
		return func(v reflect.Value, s []byte) error {
				if len(s) == 0 {
					return errEmpty
				}
				b, err := strconv.ParseBool(string(s))
				v.SetBool(b)
				return err
			}, func(dst []byte, v reflect.Value) ([]byte, error) {
				return strconv.AppendBool(dst, v.Bool()), nil
			}, nil
	}
	return nil, nil, fmt.Errorf("type %v is not supported (use string, integers, floats, bool, time.Time as epoch ms, pointers to them, or an encoding.TextUnmarshaler)", t)
}

const bom = "\xef\xbb\xbf"

func csvError(reason string) *Error { return &Error{Class: ClassCSV, Reason: reason} }

// CSVOptions configure CSV.
type CSVOptions struct {
	// Comma is the field delimiter (default ',').
	Comma rune
	// Header names the columns of the records, in order. Columns map to
	// the fields of T by name: the `csv:"name"` tag, else the field name
	// (an exact match first, then case-insensitive); columns without a
	// field are ignored, fields without a column keep their zero value, and
	// a record must have exactly len(Header) fields. Without a Header
	// columns map to fields by position (exported fields in declaration
	// order, skipping `csv:"-"`) and a record must have one field a field.
	Header []string
}

// CSVFormat is CSV records (RFC 4180) mapped onto the fields of a struct T,
// or T = []string for the raw fields. Field types: string, integers,
// floats, bool, time.Time (as epoch milliseconds), encoding.TextMarshaler
// and TextUnmarshaler pairs, and pointers to those (an empty field is nil).
// A record is one value; its bytes have no line ending (Decode takes off
// one trailing "\n" or "\r\n"), and a line break may stand only inside a
// quoted field (where "\r\n" reads as "\n", as in encoding/csv). It is
// safe for concurrent use.
type CSVFormat[T any] struct {
	schema *csvSchema
	comma  rune
	header []string // the column names, nil: by position
	cols   []int    // column -> index into schema.fields, -1: ignored
	pool   sync.Pool
}

// CSV returns the CSV format of T, or an error when T has no mappable
// fields, a field type is not supported, the Comma cannot be a delimiter, or
// the Header maps two columns to one field or none to any.
func CSV[T any](o CSVOptions) (*CSVFormat[T], error) {
	if o.Comma == 0 {
		o.Comma = ','
	}
	if c := o.Comma; c == '"' || c == '\r' || c == '\n' || c == utf8.RuneError || !utf8.ValidRune(c) {
		return nil, fmt.Errorf("strom: format: invalid CSV Comma %q", c)
	}
	schema, err := newCSVSchema(reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	c := &CSVFormat[T]{schema: schema, comma: o.Comma}
	if o.Header == nil {
		if !schema.raw {
			c.cols = make([]int, len(schema.fields))
			for i := range c.cols {
				c.cols[i] = i
			}
		}
		return c, nil
	}
	return c.WithHeader(o.Header)
}

// Columns returns the column names of T's fields in order (nil for
// []string).
func (c *CSVFormat[T]) Columns() []string {
	if c.schema.raw {
		return nil
	}
	names := make([]string, len(c.schema.fields))
	for i, f := range c.schema.fields {
		names[i] = f.name
	}
	return names
}

// WithHeader returns a copy of c whose columns are named by header (see
// CSVOptions.Header). Its errors are *Error of class "csv" with a Hint.
func (c *CSVFormat[T]) WithHeader(header []string) (*CSVFormat[T], error) {
	n := &CSVFormat[T]{schema: c.schema, comma: c.comma, header: slices.Clone(header)}
	if n.header == nil {
		n.header = []string{}
	}
	if c.schema.raw {
		return n, nil
	}
	n.cols = make([]int, len(header))
	used := make(map[int]string)
	matched := false
	for i, h := range header {
		n.cols[i] = c.schema.lookup(h)
		if j := n.cols[i]; j >= 0 {
			if prev, dup := used[j]; dup {
				e := csvError(fmt.Sprintf("bad CSV header: columns %q and %q both map to field %s", prev, h, c.schema.fields[j].name))
				e.Hint = "rename a column"
				return nil, e
			}
			used[j] = h
			matched = true
		}
	}
	if !matched {
		e := csvError(fmt.Sprintf("CSV header %q matches no field", header))
		e.Hint = "check the Comma option and the csv tags of the fields"
		return nil, e
	}
	return n, nil
}

// WithHeaderRecord is WithHeader with the names read from a header record
// (as a CSV file's first line).
func (c *CSVFormat[T]) WithHeaderRecord(rec []byte) (*CSVFormat[T], error) {
	if !utf8.Valid(rec) {
		return nil, csvError("bad CSV header: " + invalidUTF8(rec))
	}
	sp := c.splitter()
	defer c.pool.Put(sp)
	if e := sp.split(trimLineEnd(rec)); e != nil {
		e.Reason = "bad CSV header: " + e.Reason
		return nil, e
	}
	header := make([]string, sp.n())
	for i := range header {
		header[i] = string(sp.field(i))
	}
	return c.WithHeader(header)
}

// Header returns the column names c reads records with (nil: by position).
func (c *CSVFormat[T]) Header() []string { return slices.Clone(c.header) }

func (c *CSVFormat[T]) splitter() *csvSplitter {
	if sp, ok := c.pool.Get().(*csvSplitter); ok {
		return sp
	}
	return newCSVSplitter(c.comma)
}

func (s *csvSchema) lookup(name string) int {
	for i, f := range s.fields {
		if f.name == name {
			return i
		}
	}
	for i, f := range s.fields {
		if strings.EqualFold(f.name, name) {
			return i
		}
	}
	return -1
}

// trimLineEnd takes off one "\n" or "\r\n" at the end of b.
func trimLineEnd(b []byte) []byte {
	if b, ok := bytes.CutSuffix(b, []byte("\n")); ok {
		return bytes.TrimSuffix(b, []byte("\r"))
	}
	return b
}

// invalidUTF8 says where b stops being valid UTF-8 (1-based byte).
func invalidUTF8(b []byte) string {
	return fmt.Sprintf("invalid UTF-8 at byte %d", InvalidUTF8At(b)+1)
}

// InvalidUTF8At returns the index of the first byte of b that is not part
// of valid UTF-8, or -1 when b is valid.
func InvalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		c, size := utf8.DecodeRune(b[i:])
		if c == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// Decode decodes one record. Its errors are *Error of class "csv" naming
// the 1-based column and the field.
func (c *CSVFormat[T]) Decode(rec []byte) (v T, err error) {
	rec = trimLineEnd(rec)
	if !utf8.Valid(rec) {
		return v, csvError(invalidUTF8(rec))
	}
	sp := c.splitter()
	defer c.pool.Put(sp)
	if e := sp.split(rec); e != nil {
		return v, e
	}
	n := sp.n()
	if c.schema.raw {
		if c.header != nil && n != len(c.header) {
			return v, csvError(fmt.Sprintf("record has %d fields, the header has %d", n, len(c.header)))
		}
		out := make([]string, n)
		for i := range out {
			out[i] = string(sp.field(i))
		}
		*any(&v).(*[]string) = out
		return v, nil
	}
	if n != len(c.cols) {
		if c.header != nil {
			return v, csvError(fmt.Sprintf("record has %d fields, the header has %d", n, len(c.header)))
		}
		return v, csvError(fmt.Sprintf("record has %d fields, %T has %d", n, v, len(c.cols)))
	}
	rv := reflect.ValueOf(&v).Elem()
	for i, j := range c.cols {
		if j < 0 {
			continue
		}
		f := &c.schema.fields[j]
		s := sp.field(i)
		if err := f.dec(rv.FieldByIndex(f.index), s); err != nil {
			var zero T
			return zero, &Error{Class: ClassCSV, Reason: fmt.Sprintf("column %d (%s): %s", i+1, f.name, csvValueError(s, f.typ, err)), Err: err}
		}
	}
	return v, nil
}

func csvValueError(s []byte, typ string, err error) string {
	if errors.Is(err, errEmpty) {
		return fmt.Sprintf("empty value for %s (use a pointer field for optional values)", typ)
	}
	q := s
	if len(q) > 64 {
		q = q[:64]
	}
	if errors.Is(err, strconv.ErrRange) {
		return fmt.Sprintf("%q is out of range for %s", q, typ)
	}
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		if typ == "time.Time" {
			typ = "time (epoch milliseconds)"
		}
		return fmt.Sprintf("%q is not a valid %s", q, typ)
	}
	return fmt.Sprintf("%q: %v", q, err)
}

// AppendHeader appends the header record of T (its Columns), without a
// line ending.
func (c *CSVFormat[T]) AppendHeader(dst []byte) []byte {
	for i, f := range c.schema.fields {
		if i > 0 {
			dst = utf8.AppendRune(dst, c.comma)
		}
		dst = appendCSVField(dst, f.name, c.comma)
	}
	return dst
}

// Encode appends v as one record, without a line ending, its fields in the
// order of Columns (not of a Header). A record that is one empty field is
// written as "" so that it is not read back as an empty line.
func (c *CSVFormat[T]) Encode(v T, dst []byte) ([]byte, error) {
	start := len(dst)
	if c.schema.raw {
		rec := any(v).([]string)
		if len(rec) == 0 {
			return dst, csvError("a CSV record needs at least one field")
		}
		for i, f := range rec {
			if i > 0 {
				dst = utf8.AppendRune(dst, c.comma)
			}
			dst = appendCSVField(dst, f, c.comma)
		}
		return endCSVRecord(dst, start), nil
	}
	rv := reflect.ValueOf(&v).Elem()
	var scratch []byte
	for i := range c.schema.fields {
		f := &c.schema.fields[i]
		if i > 0 {
			dst = utf8.AppendRune(dst, c.comma)
		}
		var err error
		scratch, err = f.enc(scratch[:0], rv.FieldByIndex(f.index))
		if err != nil {
			return dst[:start], &Error{Class: ClassCSV, Reason: fmt.Sprintf("field %s: %v", f.name, err), Err: err}
		}
		dst = appendCSVField(dst, string(scratch), c.comma)
	}
	return endCSVRecord(dst, start), nil
}

func endCSVRecord(dst []byte, start int) []byte {
	if len(dst) == start {
		dst = append(dst, '"', '"')
	}
	return dst
}
