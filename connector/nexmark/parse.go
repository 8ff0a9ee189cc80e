package nexmark

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// This file reads the interchange format, also as written by other tools:
// members and fields in any order, unknown keys (with any value) ignored,
// names matched exactly or else case-insensitively (as encoding/json does),
// extra, channel and url optional (missing or null: empty), event_type
// optional when exactly one member is present. Integers may be written as
// JSON numbers with an integral value (1e3, 100.0). dateTime and expires
// may also be strings: RFC 3339 ("2026-01-01T00:00:00.000Z") or Flink's
// SQL format "2026-01-01 00:00:00.000" (UTC when no zone is given).
// Everything else is rejected with a *ParseError saying what and where:
// invalid JSON, a missing or null required field, a value of the wrong
// type, event_type not matching the member, more than one member, invalid
// UTF-8, anything after the object.

// ParseError is a line that is not a valid event.
type ParseError struct {
	// Line is the 1-based line number (0 from ParseLine).
	Line int64
	// Column is the 1-based byte offset in the line where the problem is.
	Column int
	// Reason says what is wrong.
	Reason string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("nexmark: line %d, column %d: %s", e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("nexmark: column %d: %s", e.Column, e.Reason)
}

// ParseLine parses one line of the interchange format (without its line
// break). The strings of the event share one copy of the line.
func ParseLine(line []byte) (Event, error) { return ParseString(string(line)) }

// ParseString is ParseLine of a string; the event's strings are substrings
// of line where no unescaping was needed.
func ParseString(line string) (Event, error) {
	p := parser{s: line}
	ev, err := p.event()
	if err != nil {
		return Event{}, err
	}
	return ev, nil
}

// maxDepth bounds the nesting of skipped unknown values.
const maxDepth = 64

type parser struct {
	s string
	i int
}

func (p *parser) errorf(format string, args ...any) *ParseError {
	return &ParseError{Column: min(p.i, len(p.s)) + 1, Reason: fmt.Sprintf(format, args...)}
}

func (p *parser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space (0 at the end).
func (p *parser) peek() byte {
	p.ws()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *parser) expect(c byte, what string) *ParseError {
	if p.peek() != c {
		return p.errorf("expected %s, found %s", what, p.found())
	}
	p.i++
	return nil
}

// found describes the input at the current position.
func (p *parser) found() string {
	if p.i >= len(p.s) {
		return "end of line"
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.i:])
	return strconv.QuoteRune(r)
}

// object calls member for every key of the object at the current position
// (after its ':'); member must consume the value.
func (p *parser) object(what string, member func(key string) *ParseError) *ParseError {
	if err := p.expect('{', what); err != nil {
		return err
	}
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		if p.peek() != '"' {
			return p.errorf("expected a member name in quotes, found %s", p.found())
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		if err := p.expect(':', "':' after member name"); err != nil {
			return err
		}
		p.ws()
		if err := member(key); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return p.errorf("expected ',' or '}' after a member, found %s", p.found())
		}
	}
}

// null consumes a null literal if there is one.
func (p *parser) null() bool {
	if strings.HasPrefix(p.s[p.i:], "null") {
		p.i += 4
		return true
	}
	return false
}

func (p *parser) event() (Event, error) {
	typ := -1
	var ev Event
	err := p.object("a JSON object", func(key string) *ParseError {
		switch matchKey(key, "event_type", "person", "auction", "bid") {
		case 0:
			if p.null() {
				typ = -1
				return nil
			}
			at := p.i
			v, err := p.int("event_type")
			if err != nil {
				return err
			}
			if v < TypePerson || v > TypeBid {
				p.i = at
				return p.errorf("event_type must be 0 (person), 1 (auction) or 2 (bid), got %d", v)
			}
			typ = int(v)
		case 1:
			ev.Person = nil
			if !p.null() {
				ev.Person = new(Person)
				return p.person(ev.Person)
			}
		case 2:
			ev.Auction = nil
			if !p.null() {
				ev.Auction = new(Auction)
				return p.auction(ev.Auction)
			}
		case 3:
			ev.Bid = nil
			if !p.null() {
				ev.Bid = new(Bid)
				return p.bid(ev.Bid)
			}
		default:
			return p.skip(0)
		}
		return nil
	})
	if err != nil {
		return Event{}, err
	}
	if p.ws(); p.i < len(p.s) {
		return Event{}, p.errorf("unexpected %s after the event object", p.found())
	}
	p.i = 0
	n, member := 0, -1
	for i, set := range [...]bool{ev.Person != nil, ev.Auction != nil, ev.Bid != nil} {
		if set {
			n, member = n+1, i
		}
	}
	switch {
	case n > 1:
		return Event{}, p.errorf("more than one of person, auction and bid is set")
	case typ < 0 && n == 0:
		return Event{}, p.errorf("missing event_type and no person, auction or bid object")
	case typ < 0:
		typ = member
	case member != typ:
		return Event{}, p.errorf("event_type %d needs a %q object", typ, memberNames[typ])
	}
	ev.Type = typ
	return ev, nil
}

var memberNames = [...]string{"person", "auction", "bid"}

// matchKey returns the index of key among names: an exact match, else a
// case-insensitive one; -1 if none.
func matchKey(key string, names ...string) int {
	for i, n := range names {
		if key == n {
			return i
		}
	}
	for i, n := range names {
		if strings.EqualFold(key, n) {
			return i
		}
	}
	return -1
}

// fields tracks which fields of a member were seen.
type fields struct {
	member string
	names  []string
	seen   uint32
}

// missing reports the first required field not seen (optional is a mask
// of optional fields).
func (f *fields) missing(p *parser, optional uint32) *ParseError {
	for i, n := range f.names {
		if f.seen&(1<<i) == 0 && optional&(1<<i) == 0 {
			return p.errorf("%s: missing field %q", f.member, n)
		}
	}
	return nil
}

var (
	personFields  = []string{"id", "name", "emailAddress", "creditCard", "city", "state", "dateTime", "extra"}
	auctionFields = []string{"id", "itemName", "description", "initialBid", "reserve", "dateTime", "expires", "seller", "category", "extra"}
	bidFields     = []string{"auction", "bidder", "price", "channel", "url", "dateTime", "extra"}

	// The names in messages: "bid.price".
	personNames, auctionNames, bidNames = qualify("person", personFields), qualify("auction", auctionFields), qualify("bid", bidFields)
)

func qualify(member string, fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = member + "." + f
	}
	return out
}

func (p *parser) person(v *Person) *ParseError {
	f := fields{member: "person", names: personFields}
	start := p.i
	err := p.object(`a "person" object or null`, func(key string) *ParseError {
		i := matchKey(key, f.names...)
		if i < 0 {
			return p.skip(0)
		}
		f.seen |= 1 << i
		name := personNames[i]
		var err *ParseError
		switch i {
		case 0:
			v.ID, err = p.int(name)
		case 1:
			v.Name, err = p.reqStr(name)
		case 2:
			v.EmailAddress, err = p.reqStr(name)
		case 3:
			v.CreditCard, err = p.reqStr(name)
		case 4:
			v.City, err = p.reqStr(name)
		case 5:
			v.State, err = p.reqStr(name)
		case 6:
			v.DateTime, err = p.time(name)
		case 7:
			v.Extra, err = p.optStr(name)
		}
		return err
	})
	if err != nil {
		return err
	}
	end := p.i
	p.i = start
	if err := f.missing(p, 1<<7); err != nil {
		return err
	}
	p.i = end
	return nil
}

func (p *parser) auction(v *Auction) *ParseError {
	f := fields{member: "auction", names: auctionFields}
	start := p.i
	err := p.object(`an "auction" object or null`, func(key string) *ParseError {
		i := matchKey(key, f.names...)
		if i < 0 {
			return p.skip(0)
		}
		f.seen |= 1 << i
		name := auctionNames[i]
		var err *ParseError
		switch i {
		case 0:
			v.ID, err = p.int(name)
		case 1:
			v.ItemName, err = p.reqStr(name)
		case 2:
			v.Description, err = p.reqStr(name)
		case 3:
			v.InitialBid, err = p.int(name)
		case 4:
			v.Reserve, err = p.int(name)
		case 5:
			v.DateTime, err = p.time(name)
		case 6:
			v.Expires, err = p.time(name)
		case 7:
			v.Seller, err = p.int(name)
		case 8:
			v.Category, err = p.int(name)
		case 9:
			v.Extra, err = p.optStr(name)
		}
		return err
	})
	if err != nil {
		return err
	}
	end := p.i
	p.i = start
	if err := f.missing(p, 1<<9); err != nil {
		return err
	}
	p.i = end
	return nil
}

func (p *parser) bid(v *Bid) *ParseError {
	f := fields{member: "bid", names: bidFields}
	start := p.i
	err := p.object(`a "bid" object or null`, func(key string) *ParseError {
		i := matchKey(key, f.names...)
		if i < 0 {
			return p.skip(0)
		}
		f.seen |= 1 << i
		name := bidNames[i]
		var err *ParseError
		switch i {
		case 0:
			v.Auction, err = p.int(name)
		case 1:
			v.Bidder, err = p.int(name)
		case 2:
			v.Price, err = p.int(name)
		case 3:
			v.Channel, err = p.optStr(name)
		case 4:
			v.URL, err = p.optStr(name)
		case 5:
			v.DateTime, err = p.time(name)
		case 6:
			v.Extra, err = p.optStr(name)
		}
		return err
	})
	if err != nil {
		return err
	}
	end := p.i
	p.i = start
	if err := f.missing(p, 1<<3|1<<4|1<<6); err != nil {
		return err
	}
	p.i = end
	return nil
}

// number scans the JSON number at p.i without consuming it: its end and
// whether it has no fraction or exponent. If it is not a number, err says
// why and end is where the problem is.
func (p *parser) number() (end int, integral bool, err string) {
	s, i := p.s, p.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == digits {
		return i, false, "no digits"
	}
	if s[digits] == '0' && i-digits > 1 {
		return digits, false, "invalid number (leading zero)"
	}
	integral = true
	if i < len(s) && s[i] == '.' {
		integral = false
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return i, false, "invalid number (no digits after '.')"
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		integral = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return i, false, "invalid number (no digits in exponent)"
		}
	}
	return i, integral, ""
}

// int parses an integer: a JSON number with an integral value that fits
// in int64.
func (p *parser) int(name string) (int64, *ParseError) {
	end, integral, bad := p.number()
	switch {
	case bad == "no digits":
		if p.null() {
			p.i -= 4
			return 0, p.errorf("%s must be an integer, not null", name)
		}
		return 0, p.errorf("%s must be an integer, found %s", name, p.found())
	case bad != "":
		p.i = end
		return 0, p.errorf("%s: %s", name, bad)
	}
	text := p.s[p.i:end]
	if integral {
		v, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return 0, p.errorf("%s: %s does not fit in a 64-bit integer", name, text)
		}
		p.i = end
		return v, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, p.errorf("%s must be an integer, got %s", name, text)
	}
	p.i = end
	return int64(f), nil
}

// Layouts of timestamps written as strings (UTC unless a zone is given).
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

// time parses epoch milliseconds or a timestamp string.
func (p *parser) time(name string) (int64, *ParseError) {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return p.int(name)
	}
	start := p.i
	s, err := p.str()
	if err != nil {
		return 0, err
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	p.i = start
	return 0, p.errorf("%s: %q is neither epoch milliseconds nor a timestamp like 2026-01-01T00:00:00.000Z", name, s)
}

// reqStr parses a string that must be present.
func (p *parser) reqStr(name string) (string, *ParseError) {
	if p.i < len(p.s) && p.s[p.i] == '"' {
		return p.str()
	}
	if p.null() {
		p.i -= 4
		return "", p.errorf("%s must be a string, not null", name)
	}
	return "", p.errorf("%s must be a string, found %s", name, p.found())
}

// optStr parses a string or null (empty).
func (p *parser) optStr(name string) (string, *ParseError) {
	if p.null() {
		return "", nil
	}
	return p.reqStr(name)
}

// Byte classes inside a JSON string.
const (
	strPlain = iota
	strQuote
	strEscape
	strControl
	strNonASCII
)

var strClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c == '"':
			t[c] = strQuote
		case c == '\\':
			t[c] = strEscape
		case c < 0x20:
			t[c] = strControl
		case c >= utf8.RuneSelf:
			t[c] = strNonASCII
		}
	}
	return t
}()

// str parses the string at p.i (which is '"').
func (p *parser) str() (string, *ParseError) {
	s := p.s
	start := p.i + 1
	ascii := true
	for i := start; i < len(s); i++ {
		switch strClass[s[i]] {
		case strPlain:
		case strQuote:
			v := s[start:i]
			if !ascii && !utf8.ValidString(v) {
				return "", p.errorf("invalid UTF-8 in string")
			}
			p.i = i + 1
			return v, nil
		case strEscape:
			return p.unescape(start, i)
		case strControl:
			p.i = i
			return "", p.errorf("control character %q in string (must be escaped)", s[i])
		default:
			ascii = false
		}
	}
	p.i = len(s)
	return "", p.errorf("unterminated string")
}

// unescape parses a string starting at start whose first escape is at i.
func (p *parser) unescape(start, i int) (string, *ParseError) {
	s := p.s
	b := make([]byte, 0, i-start+16)
	b = append(b, s[start:i]...)
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			if !utf8.Valid(b) {
				return "", p.errorf("invalid UTF-8 in string")
			}
			p.i = i + 1
			return string(b), nil
		case c < 0x20:
			p.i = i
			return "", p.errorf("control character %q in string (must be escaped)", c)
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			break
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				p.i = i
				return "", p.errorf(`invalid \u escape in string`)
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, ok = hex4(s, i+2)
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			p.i = i
			return "", p.errorf(`invalid escape \%c in string`, e)
		}
		i += 2
	}
	p.i = len(s)
	return "", p.errorf("unterminated string")
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skip consumes any JSON value (an unknown member).
func (p *parser) skip(depth int) *ParseError {
	if depth > maxDepth {
		return p.errorf("values nested deeper than %d", maxDepth)
	}
	switch c := p.peek(); {
	case c == '"':
		_, err := p.str()
		return err
	case c == '{':
		return p.object("an object", func(string) *ParseError {
			p.ws()
			return p.skip(depth + 1)
		})
	case c == '[':
		p.i++
		if p.peek() == ']' {
			p.i++
			return nil
		}
		for {
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			switch p.peek() {
			case ',':
				p.i++
			case ']':
				p.i++
				return nil
			default:
				return p.errorf("expected ',' or ']' in array, found %s", p.found())
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		end, _, bad := p.number()
		if bad != "" {
			p.i = end
			return p.errorf("%s", bad)
		}
		p.i = end
		return nil
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(p.s[p.i:], lit) {
				p.i += len(lit)
				return nil
			}
		}
		return p.errorf("expected a JSON value, found %s", p.found())
	}
}

// MaxLineBytes is the longest line a Decoder accepts.
const MaxLineBytes = 16 << 20

// Decoder reads events from JSON lines. Blank lines are skipped, "\r\n"
// line ends and a leading UTF-8 byte order mark accepted.
type Decoder struct {
	sc   *bufio.Scanner
	line int64
}

// NewDecoder returns a decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	return &Decoder{sc: sc}
}

// Decode returns the next event, io.EOF at the end of the input, or a
// *ParseError naming the line.
func (d *Decoder) Decode() (Event, error) {
	for d.sc.Scan() {
		d.line++
		b := d.sc.Bytes()
		if d.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		ev, err := ParseLine(b)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.Line = d.line
			}
			return Event{}, err
		}
		return ev, nil
	}
	if err := d.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Event{}, &ParseError{Line: d.line + 1, Column: 1, Reason: fmt.Sprintf("line longer than %d bytes", MaxLineBytes)}
		}
		return Event{}, fmt.Errorf("nexmark: reading line %d: %w", d.line+1, err)
	}
	return Event{}, io.EOF
}

// Line is the number of the line of the last event returned (1-based).
func (d *Decoder) Line() int64 { return d.line }

// ReadJSONLines reads all events from r (see Decoder).
func ReadJSONLines(r io.Reader) ([]Event, error) {
	d := NewDecoder(r)
	var out []Event
	for {
		ev, err := d.Decode()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}
