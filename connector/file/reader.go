package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
)

// Reader reads one file. It is returned by Source.Open.
type Reader[T any] struct {
	src     *Source[T]
	path    string
	f       *os.File
	max     int  // MaxLineBytes
	monitor bool // tail the file
	skip    bool // OnErrorSkip
	format  Format
	// how the user sets skipping and the line limit (SourceOptions)
	skipSetting, maxSetting string
	csv                     *csvDecoder[T]

	// Consumed position: everything before pos (lines lines) was returned,
	// skipped or blank.
	pos, lines int64
	bytes      int64 // consumed since the open (connector.BytesReader)

	// Buffered file bytes: buf[r:w] is unconsumed, buf[0] is at file
	// offset bufOff. buf never grows beyond max+2 bytes.
	buf    []byte
	r, w   int
	bufOff int64
	eof    bool // the last read from f hit the end of the file

	// Scan state of the record starting at buf[r].
	scan    int   // bytes of buf[r:] scanned without finding the record's end
	cstate  uint8 // CSV: scan state (csvPlain, csvQuoted, csvClosed)
	nl      int   // CSV: line breaks inside the record so far
	discard bool  // skipping an over-long record (buf[r:] is past its start)

	headerPending       bool  // CSV: the header has not been read yet
	resumePos, resumeLn int64 // CSV: where to go once the header is read

	skipped int64
	err     error // sticky: once failed, a reader keeps failing
	closed  bool
}

var _ connector.Reader[int] = (*Reader[int])(nil)

// initialBuffer is the size of a new reader's buffer (a variable so that
// tests can exercise records that straddle refills).
var initialBuffer = 64 << 10

func newReader[T any](s *Source[T], path string, f *os.File) *Reader[T] {
	o := s.opts
	r := &Reader[T]{src: s, path: path, f: f, max: o.MaxLineBytes, monitor: o.Monitor,
		skip: o.OnError == OnErrorSkip, format: o.Format,
		skipSetting: o.SkipSetting, maxSetting: o.MaxLineSetting}
	if o.Format == FormatCSV {
		r.csv = newCSVDecoder(s.csv, o.CSV)
		r.csv.dec = s.dec
	}
	r.buf = make([]byte, max(1, min(initialBuffer, r.max+2)))
	return r
}

// start positions the reader at off (lines lines consumed) after checking
// that off is a line boundary of the file.
func (r *Reader[T]) start(off, lines int64) error {
	if off > 0 {
		fi, err := r.f.Stat()
		if err != nil {
			return fmt.Errorf("strom: file source: %w", err)
		}
		if off > fi.Size() {
			return fmt.Errorf("strom: file %s: %w (offset %d is beyond the end of the file, %d bytes; was it truncated or replaced?)",
				r.path, ErrCorruptPosition, off, fi.Size())
		}
		if off < fi.Size() {
			var b [1]byte
			if _, err := r.f.ReadAt(b[:], off-1); err != nil {
				return fmt.Errorf("strom: file source: %s: %w", r.path, err)
			}
			if b[0] != '\n' {
				return fmt.Errorf("strom: file %s: %w (offset %d is not at the start of a line; was the file changed?)",
					r.path, ErrCorruptPosition, off)
			}
		}
	}
	if r.csv != nil && r.csv.needHeader {
		// Read the header from the start of the file, then jump to off.
		r.headerPending, r.resumePos, r.resumeLn = true, off, lines
		return nil
	}
	return r.seek(off, lines)
}

func (r *Reader[T]) seek(off, lines int64) error {
	if _, err := r.f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("strom: file source: %s: %w", r.path, err)
	}
	r.pos, r.lines, r.bufOff = off, lines, off
	r.r, r.w, r.scan, r.nl, r.cstate, r.discard, r.eof = 0, 0, 0, 0, csvPlain, false, false
	return nil
}

// Position is the position after the last consumed line.
func (r *Reader[T]) Position() []byte {
	if r.headerPending {
		return encodePosition(r.resumePos, r.resumeLn)
	}
	return encodePosition(r.pos, r.lines)
}

// BytesRead implements connector.BytesReader: the bytes of the file
// consumed since the open (lines, line ends, skipped lines, the header).
func (r *Reader[T]) BytesRead() int64 { return r.bytes }

// Skipped is the number of bad lines this reader skipped.
func (r *Reader[T]) Skipped() int64 { return r.skipped }

// Close closes the file; it is idempotent.
func (r *Reader[T]) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.buf = nil
	return r.f.Close()
}

// Read fills buf with up to len(buf) records. It returns io.EOF at the end
// of a bounded file and (0, nil) in monitor mode when no complete line is
// available. After an error (a bad line with OnErrorFail, an I/O error) every
// later Read returns the same error and the position stays before the bad
// line.
func (r *Reader[T]) Read(ctx context.Context, buf []T) (int, error) {
	if r.closed {
		return 0, fmt.Errorf("strom: file %s: read after Close", r.path)
	}
	if r.err != nil {
		return 0, r.err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if r.headerPending {
		if done, err := r.readHeader(); !done || err != nil {
			return 0, err
		}
	}
	k := 0
	for k < len(buf) {
		rec, adv, nlines, err := r.next()
		if err != nil {
			if k > 0 && !errors.Is(err, io.EOF) {
				r.err = err // report it on the next call, after the records
				return k, nil
			}
			if k > 0 {
				return k, nil
			}
			if !errors.Is(err, io.EOF) {
				r.err = err
			}
			return 0, err
		}
		if rec == nil {
			return k, nil // monitor mode: no complete line yet
		}
		if r.blank(rec) {
			r.consume(adv, nlines)
			continue
		}
		v, le := r.decode(rec)
		if le != nil {
			le = r.lineError(le)
			if r.skip {
				r.consume(adv, nlines)
				r.countSkip()
				continue
			}
			r.err = le
			if k > 0 {
				return k, nil
			}
			return 0, le
		}
		buf[k] = v
		k++
		r.consume(adv, nlines)
	}
	return k, nil
}

// readHeader reads the CSV header; done is false while it is incomplete.
func (r *Reader[T]) readHeader() (done bool, err error) {
	for {
		rec, adv, nlines, err := r.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.err = err
			}
			return false, err // io.EOF: an empty file
		}
		if rec == nil {
			return false, nil
		}
		if r.blank(rec) {
			r.consume(adv, nlines)
			continue
		}
		var le *LineError
		if !utf8.Valid(rec) {
			le = invalidUTF8(rec)
		} else {
			le = r.csv.readHeader(rec)
		}
		if le != nil {
			le = r.lineError(le)
			if le.hint == "" {
				le.hint = "fix the header (a bad header is never skipped)"
			}
			r.err = le
			return false, le
		}
		r.consume(adv, nlines)
		r.headerPending = false
		if r.resumePos > r.pos {
			if err := r.seek(r.resumePos, r.resumeLn); err != nil {
				r.err = err
				return false, err
			}
		}
		return true, nil
	}
}

func (r *Reader[T]) lineError(le *LineError) *LineError {
	le.Path, le.Line, le.Offset = r.path, r.lines+1, r.pos
	le.skipSetting = r.skipSetting
	return le
}

// skipping reports whether bad lines are skipped now (never the header).
func (r *Reader[T]) skipping() bool { return r.skip && !r.headerPending }

func (r *Reader[T]) countSkip() {
	r.skipped++
	r.src.skipped.Add(1)
}

// consume marks the record at buf[r:r+adv] (nlines lines) as consumed.
func (r *Reader[T]) consume(adv int, nlines int64) {
	r.r += adv
	r.pos += int64(adv)
	r.bytes += int64(adv)
	r.lines += nlines
	r.scan, r.nl, r.cstate = 0, 0, csvPlain
}

func (r *Reader[T]) blank(rec []byte) bool {
	if r.format != FormatJSONLines {
		return len(rec) == 0
	}
	for _, c := range rec {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// next finds the next complete record. It returns the record without its
// line ending, the bytes and lines it spans (for consume), or rec == nil if
// no complete record is available yet (monitor mode), or io.EOF, or an
// error. Over-long records are skipped here in skip mode.
func (r *Reader[T]) next() (rec []byte, adv int, nlines int64, err error) {
	for {
		if end := r.findEnd(); end >= 0 {
			adv, nlines = end+1-r.r, int64(r.nl)+1
			if r.discard {
				r.finishDiscard(end + 1)
				continue
			}
			rec = r.buf[r.r:end]
			if n := len(rec); n > 0 && rec[n-1] == '\r' {
				rec = rec[:n-1]
			}
			if len(rec) > r.max {
				if le := r.tooLong(); le != nil {
					return nil, 0, 0, le
				}
				r.consume(adv, nlines)
				r.countSkip()
				continue
			}
			return r.stripBOM(rec), adv, nlines, nil
		}
		if r.w-r.r > r.max+1 && !r.discard {
			if le := r.tooLong(); le != nil {
				return nil, 0, 0, le
			}
			r.discard = true
		}
		if r.discard {
			r.r, r.scan = r.w, 0 // drop what was scanned; the record still starts at pos
		}
		n, err := r.fill()
		if err != nil {
			return nil, 0, 0, err
		}
		if n > 0 {
			continue
		}
		if r.monitor {
			return nil, 0, 0, r.checkTruncated()
		}
		// End of a bounded file.
		if r.discard {
			r.finishDiscard(r.w)
			return nil, 0, 0, io.EOF
		}
		if r.r == r.w {
			return nil, 0, 0, io.EOF
		}
		// A final line without a newline is a record.
		adv, nlines = r.w-r.r, int64(r.nl)+1
		rec = r.buf[r.r:r.w]
		if n := len(rec); n > 0 && rec[n-1] == '\r' {
			rec = rec[:n-1]
		}
		if r.csv != nil && r.cstate == csvQuoted {
			if r.skipping() {
				r.consume(adv, nlines)
				r.countSkip()
				return nil, 0, 0, io.EOF
			}
			le := r.lineError(&LineError{Reason: "unterminated quoted field at the end of the file"})
			r.err = le
			return nil, 0, 0, le
		}
		return r.stripBOM(rec), adv, nlines, nil
	}
}

// finishDiscard ends skipping an over-long record that ends before buf[end].
func (r *Reader[T]) finishDiscard(end int) {
	r.discard = false
	r.r = end
	r.lines += int64(r.nl) + 1
	old := r.pos
	r.pos = r.bufOff + int64(end)
	r.bytes += r.pos - old
	r.scan, r.nl, r.cstate = 0, 0, csvPlain
	r.countSkip()
}

// tooLong reports an over-long record: an error in fail mode, nil in skip
// mode (the caller skips it).
func (r *Reader[T]) tooLong() *LineError {
	if r.skipping() {
		return nil
	}
	hint := fmt.Sprintf("fix the line, raise %s or set %s", r.maxSetting, r.skipSetting)
	if r.headerPending {
		hint = fmt.Sprintf("fix the header or raise %s (a bad header is never skipped)", r.maxSetting)
	}
	le := r.lineError(&LineError{Reason: fmt.Sprintf("line longer than %s (%d bytes)", r.maxSetting, r.max), hint: hint})
	r.err = le
	return le
}

func (r *Reader[T]) stripBOM(rec []byte) []byte {
	if r.pos == 0 && r.format != FormatLines {
		return bytes.TrimPrefix(rec, []byte(bom))
	}
	return rec
}

// findEnd returns the index in buf of the '\n' ending the record at buf[r],
// or -1, continuing the scan where the last call stopped.
func (r *Reader[T]) findEnd() int {
	from := r.r + r.scan
	if r.csv == nil {
		i := bytes.IndexByte(r.buf[from:r.w], '\n')
		if i < 0 {
			r.scan = r.w - r.r
			return -1
		}
		return from + i
	}
	// CSV (RFC 4180): a '\n' ends the record unless it is inside a quoted
	// field. A quote opens a quoted field only at the start of a field; in
	// a quoted field, "" is a quote and a lone '"' closes it. Malformed
	// quoting ends the record at the line end; split reports it.
	for i := from; i < r.w; i++ {
		c := r.buf[i]
		switch r.cstate {
		case csvQuoted:
			if c == '"' {
				r.cstate = csvClosed
			} else if c == '\n' {
				r.nl++
			}
		case csvClosed:
			switch c {
			case '"':
				r.cstate = csvQuoted
			case '\n':
				return i
			default:
				r.cstate = csvPlain
			}
		default:
			if c == '\n' {
				return i
			}
			if c == '"' && r.fieldStart(i) {
				r.cstate = csvQuoted
			}
		}
	}
	r.scan = r.w - r.r
	return -1
}

// fieldStart reports whether buf[i] starts a CSV field of the record at
// buf[r]: it follows the record start, a comma or a leading BOM.
func (r *Reader[T]) fieldStart(i int) bool {
	head := r.buf[r.r:i]
	return len(head) == 0 || bytes.HasSuffix(head, r.csv.comma) || (r.pos == 0 && string(head) == bom)
}

const bom = "\xef\xbb\xbf"

// CSV scan states.
const (
	csvPlain  = iota // outside quotes
	csvQuoted        // inside a quoted field
	csvClosed        // just after a quote inside a quoted field
)

// fill reads more of the file into the buffer; 0 means no more data now.
func (r *Reader[T]) fill() (int, error) {
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.bufOff += int64(r.r)
		r.r, r.w = 0, n
	}
	if r.w == len(r.buf) {
		// Grow, but never beyond what the longest allowed line needs.
		size := min(max(2*len(r.buf), 1), r.max+2)
		if size <= len(r.buf) {
			panic("file: reader buffer full") // next() discards before this
		}
		nb := make([]byte, size)
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	if r.eof && !r.monitor {
		return 0, nil
	}
	n, err := r.f.Read(r.buf[r.w:])
	r.w += n
	switch {
	case errors.Is(err, io.EOF):
		r.eof = true
		return n, nil
	case err != nil:
		return n, fmt.Errorf("strom: file %s: read at offset %d: %w", r.path, r.bufOff+int64(r.w), err)
	}
	r.eof = false
	return n, nil
}

// checkTruncated fails a tailed file that shrank below what was read.
func (r *Reader[T]) checkTruncated() error {
	fi, err := r.f.Stat()
	if err != nil {
		return fmt.Errorf("strom: file source: %w", err)
	}
	if read := r.bufOff + int64(r.w); fi.Size() < read {
		return fmt.Errorf("strom: file %s was truncated to %d bytes while tailed at offset %d; tailing cannot continue", r.path, fi.Size(), read)
	}
	return nil
}

func (r *Reader[T]) decode(rec []byte) (v T, le *LineError) {
	if d := r.src.dec; d != nil {
		if !utf8.Valid(rec) {
			return v, invalidUTF8(rec)
		}
		v, err := d.Decode(rec)
		if err != nil {
			return v, lineErrorOf(err)
		}
		return v, nil
	}
	switch r.format {
	case FormatLines:
		switch p := any(&v).(type) {
		case *string:
			*p = string(rec)
		case *[]byte:
			*p = bytes.Clone(rec)
		default:
			reflect.ValueOf(&v).Elem().SetString(string(rec))
		}
		return v, nil
	case FormatCSV:
		if !utf8.Valid(rec) {
			return v, invalidUTF8(rec)
		}
		return r.csv.decode(rec)
	}
	return decodeJSON[T](rec)
}

func decodeJSON[T any](rec []byte) (v T, le *LineError) {
	if !utf8.Valid(rec) {
		return v, invalidUTF8(rec)
	}
	v, err := format.JSON[T]().Decode(rec)
	if err == nil {
		return v, nil
	}
	fe, _ := errors.AsType[*format.Error](err)
	switch inner := fe.Err; {
	case inner == nil: // a decoder panic
		return v, &LineError{Reason: "invalid JSON: " + fe.Reason}
	case errors.As(inner, new(*json.UnmarshalTypeError)):
		return v, &LineError{Reason: fmt.Sprintf("JSON does not fit %T: %v", v, inner), Err: inner}
	default:
		return v, &LineError{Reason: "invalid JSON: " + inner.Error(), Err: inner}
	}
}

func invalidUTF8(rec []byte) *LineError {
	return &LineError{Reason: fmt.Sprintf("invalid UTF-8 at byte %d of the line", format.InvalidUTF8At(rec)+1)}
}
