package file

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
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
func (p *csvSplitter) split(rec []byte) *LineError {
	p.buf, p.ends = p.buf[:0], p.ends[:0]
	for col := 1; ; col++ {
		if len(rec) > 0 && rec[0] == '"' {
			rec = rec[1:]
			for {
				i := bytes.IndexByte(rec, '"')
				if i < 0 {
					return &LineError{Reason: fmt.Sprintf("unterminated quoted field in column %d", col)}
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
				return &LineError{Reason: fmt.Sprintf(`extraneous or missing " in quoted field in column %d`, col)}
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
			return &LineError{Reason: fmt.Sprintf(`bare " in non-quoted field in column %d`, col)}
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
		return nil, fmt.Errorf("strom: file: CSV needs a struct type or []string, not %v", t)
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
			return nil, fmt.Errorf("strom: file: CSV field %s.%s: %w", t.Name(), sf.Name, err)
		}
		s.fields = append(s.fields, csvField{name: name, index: sf.Index, dec: dec, enc: enc, typ: sf.Type.String()})
	}
	if len(s.fields) == 0 {
		return nil, fmt.Errorf("strom: file: CSV type %v has no exported fields", t)
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

// csvDecoder turns records into T for one reader (it holds the column map
// read from the file's header).
type csvDecoder[T any] struct {
	schema     *csvSchema
	sp         *csvSplitter
	needHeader bool
	header     []string
	cols       []int // column -> index into schema.fields, -1: ignored
}

func newCSVDecoder[T any](schema *csvSchema, o CSVOptions) *csvDecoder[T] {
	d := &csvDecoder[T]{schema: schema, sp: newCSVSplitter(o.Comma), needHeader: !o.NoHeader}
	if o.NoHeader && !schema.raw {
		d.cols = make([]int, len(schema.fields))
		for i := range d.cols {
			d.cols[i] = i
		}
	}
	return d
}

// readHeader takes the header record and maps its columns to fields.
func (d *csvDecoder[T]) readHeader(rec []byte) *LineError {
	if le := d.sp.split(rec); le != nil {
		le.Reason = "bad CSV header: " + le.Reason
		return le
	}
	d.header = make([]string, d.sp.n())
	for i := range d.header {
		d.header[i] = string(d.sp.field(i))
	}
	if d.schema.raw {
		return nil
	}
	d.cols = make([]int, len(d.header))
	used := make(map[int]string)
	matched := false
	for i, h := range d.header {
		d.cols[i] = d.schema.lookup(h)
		if j := d.cols[i]; j >= 0 {
			if prev, dup := used[j]; dup {
				return &LineError{Reason: fmt.Sprintf("bad CSV header: columns %q and %q both map to field %s", prev, h, d.schema.fields[j].name),
					hint: "rename a column or set NoHeader"}
			}
			used[j] = h
			matched = true
		}
	}
	if !matched {
		return &LineError{Reason: fmt.Sprintf("CSV header %q matches no field", d.header),
			hint: "check the Comma option, the csv tags of the fields, or set NoHeader"}
	}
	return nil
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

func (d *csvDecoder[T]) decode(rec []byte) (T, *LineError) {
	var v T
	if le := d.sp.split(rec); le != nil {
		return v, le
	}
	n := d.sp.n()
	if d.schema.raw {
		if d.header != nil && n != len(d.header) {
			return v, &LineError{Reason: fmt.Sprintf("record has %d fields, the header has %d", n, len(d.header))}
		}
		out := make([]string, n)
		for i := range out {
			out[i] = string(d.sp.field(i))
		}
		*any(&v).(*[]string) = out
		return v, nil
	}
	if n != len(d.cols) {
		if d.header != nil {
			return v, &LineError{Reason: fmt.Sprintf("record has %d fields, the header has %d", n, len(d.header))}
		}
		return v, &LineError{Reason: fmt.Sprintf("record has %d fields, %T has %d", n, v, len(d.cols))}
	}
	rv := reflect.ValueOf(&v).Elem()
	for i, j := range d.cols {
		if j < 0 {
			continue
		}
		f := &d.schema.fields[j]
		s := d.sp.field(i)
		if err := f.dec(rv.FieldByIndex(f.index), s); err != nil {
			return v, &LineError{Reason: fmt.Sprintf("column %d (%s): %s", i+1, f.name, csvValueError(s, f.typ, err)), Err: err}
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

// csvEncoder writes T as CSV records.
type csvEncoder[T any] struct {
	schema *csvSchema
	comma  rune
}

func (e *csvEncoder[T]) appendHeader(dst []byte) []byte {
	for i, f := range e.schema.fields {
		if i > 0 {
			dst = utf8.AppendRune(dst, e.comma)
		}
		dst = appendCSVField(dst, f.name, e.comma)
	}
	return append(dst, '\n')
}

func (e *csvEncoder[T]) appendRecord(dst []byte, v T) ([]byte, error) {
	start := len(dst)
	if e.schema.raw {
		rec := any(v).([]string)
		if len(rec) == 0 {
			return dst, errors.New("a CSV record needs at least one field")
		}
		for i, f := range rec {
			if i > 0 {
				dst = utf8.AppendRune(dst, e.comma)
			}
			dst = appendCSVField(dst, f, e.comma)
		}
		return endCSVRecord(dst, start), nil
	}
	rv := reflect.ValueOf(&v).Elem()
	var scratch []byte
	for i := range e.schema.fields {
		f := &e.schema.fields[i]
		if i > 0 {
			dst = utf8.AppendRune(dst, e.comma)
		}
		var err error
		scratch, err = f.enc(scratch[:0], rv.FieldByIndex(f.index))
		if err != nil {
			return dst, fmt.Errorf("field %s: %w", f.name, err)
		}
		dst = appendCSVField(dst, string(scratch), e.comma)
	}
	return endCSVRecord(dst, start), nil
}

// endCSVRecord ends a record begun at start. A record that is one empty
// field is written as "" so that it is not read back as a blank line.
func endCSVRecord(dst []byte, start int) []byte {
	if len(dst) == start {
		dst = append(dst, '"', '"')
	}
	return append(dst, '\n')
}
