package table

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseType parses a type in Flink SQL syntax, as String prints it and as
// DDL writes it: BOOLEAN, TINYINT, SMALLINT, INT/INTEGER, BIGINT, FLOAT,
// DOUBLE [PRECISION], DECIMAL/DEC/NUMERIC[(p[, s])], CHAR[(n)],
// VARCHAR[(n)], STRING, BINARY[(n)], VARBINARY[(n)], BYTES, DATE,
// TIME[(p)], TIMESTAMP[(p)] [WITHOUT TIME ZONE], TIMESTAMP_LTZ[(p)],
// TIMESTAMP[(p)] WITH LOCAL TIME ZONE, INTERVAL DAY[(p)] TO SECOND[(p)],
// INTERVAL YEAR[(p)] TO MONTH, ARRAY<T>, MAP<K, V>, ROW<name T, ...> (or
// ROW(...); names may be `quoted`), NULL; each optionally followed by NOT
// NULL or NULL and a *ROWTIME* or *PROCTIME* marker. Keywords are
// case-insensitive. Defaults are Flink's: DECIMAL(10, 0), CHAR(1),
// VARCHAR(1), TIME(0), TIMESTAMP(6).
func ParseType(s string) (Type, error) {
	p := &typeParser{s: s}
	t, err := p.typ(0)
	if err != nil {
		return Type{}, err
	}
	p.space()
	if p.i != len(p.s) {
		return Type{}, p.errf("unexpected %q", p.s[p.i:])
	}
	return t, nil
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) errf(format string, args ...any) error {
	return fmt.Errorf("table: type %q at %d: %s", p.s, p.i, fmt.Sprintf(format, args...))
}

func (p *typeParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// word reads an identifier-like word (letters, digits, '_').
func (p *typeParser) word() string {
	p.space()
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i]
}

// peekWord returns the next word (upper-case) without consuming it.
func (p *typeParser) peekWord() string {
	save := p.i
	w := p.word()
	p.i = save
	return strings.ToUpper(w)
}

func (p *typeParser) keyword(kw string) bool {
	if p.peekWord() == kw {
		p.word()
		return true
	}
	return false
}

func (p *typeParser) punct(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *typeParser) number() (int, error) {
	p.space()
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	n, err := strconv.Atoi(p.s[start:p.i])
	if err != nil {
		return 0, p.errf("want a number")
	}
	return n, nil
}

// params reads an optional (a[, b]).
func (p *typeParser) params() ([]int, error) {
	if !p.punct('(') {
		return nil, nil
	}
	var ns []int
	for {
		n, err := p.number()
		if err != nil {
			return nil, err
		}
		ns = append(ns, n)
		if p.punct(')') {
			return ns, nil
		}
		if !p.punct(',') {
			return nil, p.errf("want ',' or ')'")
		}
	}
}

func param(ns []int, i, def int) int {
	if i < len(ns) {
		return ns[i]
	}
	return def
}

func (p *typeParser) typ(depth int) (Type, error) {
	if depth > 32 {
		return Type{}, p.errf("types nested too deeply")
	}
	w := strings.ToUpper(p.word())
	var t Type
	switch w {
	case "NULL":
		t = NullType()
	case "BOOLEAN":
		t = BooleanType()
	case "TINYINT":
		t = TinyIntType()
	case "SMALLINT":
		t = SmallIntType()
	case "INT", "INTEGER":
		t = IntType()
	case "BIGINT":
		t = BigIntType()
	case "FLOAT":
		t = FloatType()
	case "DOUBLE":
		p.keyword("PRECISION")
		t = DoubleType()
	case "STRING":
		t = StringType()
	case "BYTES":
		t = BytesType()
	case "DATE":
		t = DateType()
	case "DECIMAL", "DEC", "NUMERIC":
		ns, err := p.params()
		if err != nil {
			return Type{}, err
		}
		pr, sc := param(ns, 0, 10), param(ns, 1, 0)
		if pr < 1 || pr > MaxDecimalPrecision || sc < 0 || sc > pr || len(ns) > 2 {
			return Type{}, p.errf("invalid DECIMAL(%d, %d)", pr, sc)
		}
		t = DecimalType(pr, sc)
	case "CHAR", "VARCHAR", "BINARY", "VARBINARY":
		ns, err := p.params()
		if err != nil {
			return Type{}, err
		}
		n := param(ns, 0, 1)
		if n < 1 || len(ns) > 1 {
			return Type{}, p.errf("invalid length of %s", w)
		}
		t = map[string]func(int) Type{"CHAR": CharType, "VARCHAR": VarCharType, "BINARY": BinaryType, "VARBINARY": VarBinaryType}[w](n)
	case "TIME", "TIMESTAMP", "TIMESTAMP_LTZ":
		ns, err := p.params()
		if err != nil {
			return Type{}, err
		}
		def := 6
		if w == "TIME" {
			def = 0
		}
		pr := param(ns, 0, def)
		if pr < 0 || pr > MaxTimePrecision || len(ns) > 1 {
			return Type{}, p.errf("invalid precision of %s", w)
		}
		switch {
		case w == "TIME":
			t = TimeType(pr)
		case w == "TIMESTAMP_LTZ":
			t = TimestampLTZType(pr)
		case p.keyword("WITH"):
			if !p.keyword("LOCAL") || !p.keyword("TIME") || !p.keyword("ZONE") {
				return Type{}, p.errf("want WITH LOCAL TIME ZONE")
			}
			t = TimestampLTZType(pr)
		case p.keyword("WITHOUT"):
			if !p.keyword("TIME") || !p.keyword("ZONE") {
				return Type{}, p.errf("want WITHOUT TIME ZONE")
			}
			t = TimestampType(pr)
		default:
			t = TimestampType(pr)
		}
	case "INTERVAL":
		switch p.peekWord() {
		case "DAY":
			p.word()
			if _, err := p.params(); err != nil {
				return Type{}, err
			}
			if !p.keyword("TO") || !p.keyword("SECOND") {
				return Type{}, p.errf("want INTERVAL DAY TO SECOND")
			}
			if _, err := p.params(); err != nil {
				return Type{}, err
			}
			t = IntervalDayTimeType()
		case "YEAR":
			p.word()
			if _, err := p.params(); err != nil {
				return Type{}, err
			}
			if !p.keyword("TO") || !p.keyword("MONTH") {
				return Type{}, p.errf("want INTERVAL YEAR TO MONTH")
			}
			t = IntervalYearMonthType()
		default:
			return Type{}, p.errf("want INTERVAL DAY TO SECOND or YEAR TO MONTH")
		}
	case "ARRAY":
		if !p.punct('<') {
			return Type{}, p.errf("want '<'")
		}
		e, err := p.typ(depth + 1)
		if err != nil {
			return Type{}, err
		}
		if !p.punct('>') {
			return Type{}, p.errf("want '>'")
		}
		t = ArrayType(e)
	case "MAP":
		if !p.punct('<') {
			return Type{}, p.errf("want '<'")
		}
		k, err := p.typ(depth + 1)
		if err != nil {
			return Type{}, err
		}
		if !p.punct(',') {
			return Type{}, p.errf("want ','")
		}
		v, err := p.typ(depth + 1)
		if err != nil {
			return Type{}, err
		}
		if !p.punct('>') {
			return Type{}, p.errf("want '>'")
		}
		t = MapType(k, v)
	case "ROW":
		end := byte('>')
		if p.punct('(') {
			end = ')'
		} else if !p.punct('<') {
			return Type{}, p.errf("want '<' or '('")
		}
		var fs []Field
		if !p.punct(end) {
			for {
				name, err := p.fieldName()
				if err != nil {
					return Type{}, err
				}
				ft, err := p.typ(depth + 1)
				if err != nil {
					return Type{}, err
				}
				fs = append(fs, Field{Name: name, Type: ft})
				if p.punct(end) {
					break
				}
				if !p.punct(',') {
					return Type{}, p.errf("want ',' or %q", end)
				}
			}
		}
		t = RowType(fs...)
	case "":
		return Type{}, p.errf("want a type")
	default:
		return Type{}, p.errf("unknown type %s", w)
	}
	switch {
	case p.peekWord() == "NOT":
		p.word()
		if !p.keyword("NULL") {
			return Type{}, p.errf("want NOT NULL")
		}
		t = t.NotNull()
	case p.peekWord() == "NULL":
		p.word()
	}
	p.space()
	for _, m := range []struct {
		text string
		attr TimeAttr
	}{{"*ROWTIME*", Rowtime}, {"*PROCTIME*", Proctime}} {
		if strings.HasPrefix(strings.ToUpper(p.s[p.i:]), m.text) {
			p.i += len(m.text)
			t = t.WithTimeAttr(m.attr)
		}
	}
	return t, nil
}

func (p *typeParser) fieldName() (string, error) {
	p.space()
	if p.punct('`') {
		var b strings.Builder
		for p.i < len(p.s) {
			c := p.s[p.i]
			p.i++
			if c == '`' {
				if p.i < len(p.s) && p.s[p.i] == '`' {
					b.WriteByte('`')
					p.i++
					continue
				}
				return b.String(), nil
			}
			b.WriteByte(c)
		}
		return "", p.errf("unterminated `name`")
	}
	w := p.word()
	if w == "" {
		return "", p.errf("want a field name")
	}
	return w, nil
}
