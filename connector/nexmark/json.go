package nexmark

import (
	"io"
	"iter"
	"strconv"
	"unicode/utf8"
)

// This file writes the interchange format (SPEC.md §3.2): one event a
// line, {"event_type":N,"<member>":{...}} with the member's fields in the
// order and with the names of the struct tags of model.go, timestamps as
// integer epoch milliseconds. The bytes are exactly those of encoding/json
// with SetEscapeHTML(false) (so "&" in a URL stays "&"); nil members are
// left out, as are a bid's empty channel and url (omitempty).

// AppendJSON appends the JSON object of ev (without a line break) to dst.
func AppendJSON(dst []byte, ev Event) []byte {
	dst = append(dst, `{"event_type":`...)
	dst = strconv.AppendInt(dst, int64(ev.Type), 10)
	if p := ev.Person; p != nil {
		dst = append(dst, `,"person":{"id":`...)
		dst = strconv.AppendInt(dst, p.ID, 10)
		dst = appendStringField(dst, `,"name":`, p.Name)
		dst = appendStringField(dst, `,"emailAddress":`, p.EmailAddress)
		dst = appendStringField(dst, `,"creditCard":`, p.CreditCard)
		dst = appendStringField(dst, `,"city":`, p.City)
		dst = appendStringField(dst, `,"state":`, p.State)
		dst = appendIntField(dst, `,"dateTime":`, p.DateTime)
		dst = appendStringField(dst, `,"extra":`, p.Extra)
		dst = append(dst, '}')
	}
	if a := ev.Auction; a != nil {
		dst = append(dst, `,"auction":{"id":`...)
		dst = strconv.AppendInt(dst, a.ID, 10)
		dst = appendStringField(dst, `,"itemName":`, a.ItemName)
		dst = appendStringField(dst, `,"description":`, a.Description)
		dst = appendIntField(dst, `,"initialBid":`, a.InitialBid)
		dst = appendIntField(dst, `,"reserve":`, a.Reserve)
		dst = appendIntField(dst, `,"dateTime":`, a.DateTime)
		dst = appendIntField(dst, `,"expires":`, a.Expires)
		dst = appendIntField(dst, `,"seller":`, a.Seller)
		dst = appendIntField(dst, `,"category":`, a.Category)
		dst = appendStringField(dst, `,"extra":`, a.Extra)
		dst = append(dst, '}')
	}
	if b := ev.Bid; b != nil {
		dst = append(dst, `,"bid":{"auction":`...)
		dst = strconv.AppendInt(dst, b.Auction, 10)
		dst = appendIntField(dst, `,"bidder":`, b.Bidder)
		dst = appendIntField(dst, `,"price":`, b.Price)
		if b.Channel != "" {
			dst = appendStringField(dst, `,"channel":`, b.Channel)
		}
		if b.URL != "" {
			dst = appendStringField(dst, `,"url":`, b.URL)
		}
		dst = appendIntField(dst, `,"dateTime":`, b.DateTime)
		dst = appendStringField(dst, `,"extra":`, b.Extra)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

func appendIntField(dst []byte, key string, v int64) []byte {
	return strconv.AppendInt(append(dst, key...), v, 10)
}

func appendStringField(dst []byte, key, s string) []byte {
	return appendString(append(dst, key...), s)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json does
// without HTML escaping.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Encoder writes events as JSON lines to a writer, buffering up to about
// 64 KiB. Call Flush at the end.
type Encoder struct {
	w   io.Writer
	buf []byte
	n   int64
	err error
}

const encoderBuffer = 64 << 10

// NewEncoder returns an encoder writing to w.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: w, buf: make([]byte, 0, encoderBuffer+1024)}
}

// Encode writes ev as one line.
func (e *Encoder) Encode(ev Event) error {
	if e.err != nil {
		return e.err
	}
	e.buf = append(AppendJSON(e.buf, ev), '\n')
	if len(e.buf) >= encoderBuffer {
		return e.Flush()
	}
	return nil
}

// Flush writes the buffered lines.
func (e *Encoder) Flush() error {
	if e.err != nil || len(e.buf) == 0 {
		return e.err
	}
	n, err := e.w.Write(e.buf)
	e.n += int64(n)
	if err == nil && n < len(e.buf) {
		err = io.ErrShortWrite
	}
	e.buf = e.buf[:0]
	e.err = err
	return err
}

// Written is the number of bytes written to the writer so far.
func (e *Encoder) Written() int64 { return e.n }

// WriteJSONLines writes events to w as JSON lines and returns the number
// of bytes written. Use slices.Values to write a slice.
func WriteJSONLines(w io.Writer, events iter.Seq[Event]) (int64, error) {
	e := NewEncoder(w)
	for ev := range events {
		if err := e.Encode(ev); err != nil {
			return e.Written(), err
		}
	}
	err := e.Flush()
	return e.Written(), err
}

// SideInputRows is the number of rows of the q13 side input.
const SideInputRows = 10000

// WriteSideInput writes the q13 side input to w: the CSV rows "i,i" for i
// in 0..9999 (key = i, value = "i"), without a header, as the Flink
// harness's SideInputGenerator writes it.
func WriteSideInput(w io.Writer) error {
	buf := make([]byte, 0, 10*SideInputRows)
	for i := range int64(SideInputRows) {
		buf = strconv.AppendInt(buf, i, 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, i, 10)
		buf = append(buf, '\n')
	}
	_, err := w.Write(buf)
	return err
}
