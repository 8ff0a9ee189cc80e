package format

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stromio/strom/table"
)

// PerWriterEncoder is an Encoder that also makes encoders for one goroutine
// each (a sink's writer): they append exactly the bytes Encode appends and
// return the same errors, but may keep state between calls (caches) to do
// it faster. The encoders of NewEncoder are not safe for concurrent use.
type PerWriterEncoder[T any] interface {
	Encoder[T]
	NewEncoder() Encoder[T]
}

var (
	_ PerWriterEncoder[table.Row] = (*rowCSV)(nil)
	_ PerWriterEncoder[table.Row] = narrow{}
)

// NewEncoder returns an encoder of f's records for one goroutine
// (csvRowEncoder).
func (f *rowCSV) NewEncoder() Encoder[table.Row] { return f.newRowEncoder(nil, -1) }

// NewEncoder returns an encoder for one goroutine: a csvRowEncoder over
// the physical columns when n encodes CSV, n itself otherwise.
func (n narrow) NewEncoder() Encoder[table.Row] {
	if c, ok := n.e.(*rowCSV); ok {
		return c.newRowEncoder(n.idx, n.n)
	}
	return n
}

// csvRowEncoder appends the CSV record of a row as rowCSV.encode does (and
// narrow.Encode before it, given idx), byte for byte, with less work per
// field: one switch on the value's kind, integers and timestamps not
// scanned for characters to quote when the delimiter cannot occur in their
// text, strings scanned eight bytes at a time, and the text of a
// timestamp's second (yyyy-MM-dd HH:mm:ss) kept from the previous row. A
// row it does not expect (not an insert, the wrong number of fields) goes
// through the general path, which returns its error.
type csvRowEncoder struct {
	f      *rowCSV
	idx    []int // the fields written, in order (nil: all)
	nIn    int   // narrow: the number of fields a row must have (-1: any)
	null   []byte
	comma  []byte // the delimiter's UTF-8 bytes
	ascii  bool   // the delimiter is one byte
	cb     byte   // the delimiter when ascii
	intOK  bool   // an integer's text never needs quotes
	tsOK   bool   // a timestamp's text never needs quotes
	tsSec  int64  // the second whose text is tsText
	tsText []byte // yyyy-MM-dd HH:mm:ss of tsSec (nil: none yet)
}

func (f *rowCSV) newRowEncoder(idx []int, nIn int) *csvRowEncoder {
	e := &csvRowEncoder{f: f, idx: idx, nIn: nIn}
	e.null = appendCSVField(nil, f.o.NullLiteral, f.o.Comma)
	e.comma = utf8.AppendRune(nil, f.o.Comma)
	e.ascii = f.o.Comma < utf8.RuneSelf
	if e.ascii {
		e.cb = byte(f.o.Comma)
	}
	// appendCSVField quotes a field that starts with a space, a tab or a
	// BOM, or contains a quote, CR, LF or the delimiter. Integers are
	// written with "-0123456789", timestamps with "-0123456789 :." (never
	// a space first).
	e.intOK = e.ascii && !strings.ContainsRune("-0123456789", f.o.Comma)
	e.tsOK = e.ascii && !strings.ContainsRune("-0123456789 :.", f.o.Comma)
	return e
}

func (e *csvRowEncoder) Encode(r table.Row, dst []byte) ([]byte, error) {
	n := len(e.f.schema.Columns)
	if r.Kind != table.Insert || e.nIn >= 0 && len(r.Fields) != e.nIn || e.idx == nil && len(r.Fields) != n {
		return e.slow(r, dst)
	}
	for i := range n {
		var v table.Value
		if e.idx != nil {
			v = r.Fields[e.idx[i]]
		} else {
			v = r.Fields[i]
		}
		if i > 0 {
			if e.ascii {
				dst = append(dst, e.cb)
			} else {
				dst = append(dst, e.comma...)
			}
		}
		switch v.Kind() {
		case table.KindNull:
			dst = append(dst, e.null...)
			continue
		case table.KindInt:
			if e.intOK {
				dst = appendInt(dst, v.AsInt())
				continue
			}
		case table.KindString:
			if s := v.AsString(); e.ascii {
				if csvPlain(s, e.cb) {
					dst = append(dst, s...)
				} else {
					dst = appendCSVField(dst, s, e.f.o.Comma)
				}
				continue
			}
		case table.KindTimestamp:
			if e.tsOK {
				// Not within a second of the smallest int64 (sec*1000
				// would overflow): the general path.
				if ms, ns := v.AsTimestamp(); ns >= 0 && ns < 1e6 && ms >= math.MinInt64+1000 {
					dst = e.appendTimestamp(dst, ms, ns)
					continue
				}
			}
		}
		dst = e.field(dst, v)
	}
	return dst, nil
}

// slow is the general path (with its errors).
func (e *csvRowEncoder) slow(r table.Row, dst []byte) ([]byte, error) {
	if e.nIn >= 0 {
		return narrow{e: e.f, idx: e.idx, n: e.nIn}.Encode(r, dst)
	}
	return e.f.encode(r, nil, dst)
}

// field appends one non-NULL field as rowCSV.encode does.
func (e *csvRowEncoder) field(dst []byte, v table.Value) []byte {
	start := len(dst)
	if v.Kind() == table.KindTimestamp {
		ms, ns := v.AsTimestamp()
		dst = table.AppendTimestampPrec(dst, ms, ns, 0)
	} else {
		dst = AppendText(dst, v)
	}
	if csvNeedsQuote(dst[start:], e.f.o.Comma) {
		field := string(dst[start:])
		dst = appendCSVField(dst[:start], field, e.f.o.Comma)
	}
	return dst
}

// appendTimestamp appends table.AppendTimestampPrec(dst, ms, ns, 0) for
// 0 <= ns < 1e6: the text of the second (cached), then the fraction of the
// second without trailing zeros.
func (e *csvRowEncoder) appendTimestamp(dst []byte, ms int64, ns int32) []byte {
	sec := ms / 1000
	sub := ms % 1000
	if sub < 0 {
		sec--
		sub += 1000
	}
	if e.tsText == nil || sec != e.tsSec {
		e.tsText = table.AppendTimestampPrec(e.tsText[:0], sec*1000, 0, 0)
		e.tsSec = sec
	}
	dst = append(dst, e.tsText...)
	if ns == 0 {
		f := &msFrac[sub]
		return append(dst, f.b[:f.n]...)
	}
	frac := sub*1e6 + int64(ns) // nanoseconds of the second, < 1e9
	var buf [10]byte
	buf[0] = '.'
	x := frac
	for i := 9; i >= 1; i-- {
		buf[i] = byte('0' + x%10)
		x /= 10
	}
	end := 10
	for buf[end-1] == '0' {
		end--
	}
	return append(dst, buf[:end]...)
}

// appendInt appends strconv.AppendInt(dst, n, 10): non-negative numbers
// below 10^16 written in place, two digits at a time, others (negative
// ones too) by strconv.
func appendInt(dst []byte, n int64) []byte {
	if n < 0 || n >= 1e16 {
		return strconv.AppendInt(dst, n, 10)
	}
	if n < 10 {
		return append(dst, byte('0'+n))
	}
	u := uint64(n)
	w := 2 // digits
	for t := uint64(100); w < 16 && u >= t; t *= 10 {
		w++
	}
	dst = slices.Grow(dst, w)
	b := dst[len(dst) : len(dst)+w]
	i := w
	for u >= 100 {
		q := u / 100
		d := (u - q*100) * 2
		i -= 2
		b[i], b[i+1] = digits2[d], digits2[d+1]
		u = q
	}
	if u >= 10 {
		b[i-2], b[i-1] = digits2[u*2], digits2[u*2+1]
	} else {
		b[i-1] = byte('0' + u)
	}
	return dst[:len(dst)+w]
}

// digits2 is "00" to "99".
const digits2 = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// msFrac[ms] is the fraction of a second of ms milliseconds (0-999) as
// appendTimestamp writes it for whole milliseconds: "" for 0, else '.' and
// the digits without trailing zeros (".5", ".25", ".125").
var msFrac = func() (t [1000]struct {
	b [4]byte
	n uint8
}) {
	for ms := 1; ms < 1000; ms++ {
		f := &t[ms]
		f.b = [4]byte{'.', byte('0' + ms/100), byte('0' + ms/10%10), byte('0' + ms%10)}
		f.n = 4
		for f.b[f.n-1] == '0' {
			f.n--
		}
	}
	return t
}()

// csvPlain reports whether appendCSVField leaves s as it is with the
// one-byte delimiter c (csvNeedsQuote is false): eight bytes at a time.
func csvPlain(s string, c byte) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[0] == '\t' || strings.HasPrefix(s, bom) {
		return false
	}
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q, cr, lf, d := uint64(lo*'"'), uint64(lo*'\r'), uint64(lo*'\n'), lo*uint64(c)
	// has reports whether a byte of w is one of those looked for: a byte of
	// x is zero where w has the byte; (x - lo) &^ x & hi is non-zero
	// exactly when some byte of x is zero.
	has := func(w uint64) bool {
		a, b, cc, dd := w^q, w^cr, w^lf, w^d
		return ((a-lo)&^a|(b-lo)&^b|(cc-lo)&^cc|(dd-lo)&^dd)&hi != 0
	}
	// The words are read from s resliced (no bounds check per byte); the
	// last 1-7 bytes of a string of 8 or more in the word that ends it
	// (some bytes tested twice).
	all := s
	for len(s) >= 16 {
		if has(le64(s[:8])) || has(le64(s[8:16])) {
			return false
		}
		s = s[16:]
	}
	if len(s) >= 8 {
		if has(le64(s[:8])) {
			return false
		}
		s = s[8:]
	}
	if len(s) > 0 && len(all) >= 8 {
		return !has(le64(all[len(all)-8:]))
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b == '"' || b == '\r' || b == '\n' || b == c {
			return false
		}
	}
	return true
}

// le64 is the little-endian word of s[:8] (one load: len(s) >= 8).
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
