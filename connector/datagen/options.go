package datagen

import (
	"fmt"
	"maps"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
)

// The table options of the 'datagen' connector: Flink's, plus 'seed'
// (strom's).
const (
	OptRowsPerSecond = "rows-per-second"
	OptNumberOfRows  = "number-of-rows"
	OptSeed          = "seed"
)

// The per-field options, written 'fields.<column>.<option>' (a field of a
// ROW column: 'fields.<column>.<field>.<option>').
const (
	FieldKind     = "kind"
	FieldMin      = "min"
	FieldMax      = "max"
	FieldMaxPast  = "max-past"
	FieldLength   = "length"
	FieldVarLen   = "var-len"
	FieldStart    = "start"
	FieldEnd      = "end"
	FieldNullRate = "null-rate"
)

var fieldOptions = []string{FieldKind, FieldMin, FieldMax, FieldMaxPast, FieldLength, FieldVarLen, FieldStart, FieldEnd, FieldNullRate}

// DefaultRowsPerSecond is Flink's default 'rows-per-second'.
const DefaultRowsPerSecond = 10000

// Limits of strom (Flink has none below 2^31): a generated string or
// byte string has at most MaxLength bytes, an ARRAY or MAP at most
// MaxCollection entries, so that a table's options cannot make a job
// allocate gigabytes per row.
const (
	MaxLength     = 1 << 20
	MaxCollection = 1 << 16
)

// MaxRowBytes bounds the worst-case size in memory of one generated row
// (strom's; Flink has none): the lengths and sizes multiply through
// nested ARRAY, MAP and ROW types and add up over the columns, so each
// limit above alone would let a row take gigabytes
// (ARRAY<VARCHAR(1048576)> of 65536 elements is 64 GiB). A table whose
// options allow a larger row is refused, naming the option to lower.
const MaxRowBytes = 16 << 20

// Defaults of Flink: the length of STRING and BYTES values, and the size
// of ARRAY and MAP values.
const (
	defaultLength     = 100
	defaultCollection = 3
)

type genKind uint8

const (
	kindRandom genKind = iota
	kindSequence
)

// field is how one column, or one field of a ROW, ARRAY or MAP, is
// generated.
type field struct {
	path     string // the column's name, "col.sub" for a field of a ROW
	typ      table.Type
	kind     genKind
	nullRate float64
	computed bool   // a computed column: NULL (the SQL layer computes it)
	salt     uint64 // a column's: nameSalt of its name

	// Random numbers: integers in [lo, hi], floats in [flo, fhi],
	// decimals' unscaled values (at the type's scale) in [dlo, dhi].
	lo, hi   int64
	flo, fhi float64
	dlo, dhi *big.Int
	// Strings, bytes, arrays and maps: the length (or size), and whether
	// it is random in [1, length] (var-len).
	length int
	varLen bool
	// TIMESTAMP and TIMESTAMP_LTZ: a random time in [now-maxPast, now].
	maxPast int64

	// Sequences: the value of row g is start+g, for g < seqLen. Integers
	// and strings use seqI, floats seqF, decimals seqD (unscaled).
	seqI   int64
	seqF   float64
	seqD   *big.Int
	seqLen uint64

	// ROW fields; ARRAY: the element; MAP: the key and the value.
	elems []*field
}

// config is a table's generator, checked.
type config struct {
	cols      []*field // one per column of the schema
	rate      float64  // rows per second of the whole source
	bounded   bool
	rows      uint64 // rows of the whole source when bounded
	seed      uint64
	seedGiven bool
	splits    int
	now       func() int64
	loc       *time.Location
}

// parseConfig checks the options of t and builds its generator.
func parseConfig(f *Factory, t connector.TableContext) (*config, *connector.TableOptions, error) {
	static := connector.TableContext{Name: t.Name, Schema: t.Schema, Options: map[string]string{}, PartitionKeys: t.PartitionKeys}
	perField := map[string]map[string]string{} // path -> option -> value
	var fieldKeys []string
	for k, v := range t.Options {
		rest, ok := strings.CutPrefix(k, "fields.")
		if !ok {
			static.Options[k] = v
			continue
		}
		fieldKeys = append(fieldKeys, k)
		i := strings.LastIndexByte(rest, '.')
		path, opt := "", rest
		if i >= 0 {
			path, opt = rest[:i], rest[i+1:]
		}
		if perField[path] == nil {
			perField[path] = map[string]string{}
		}
		perField[path][opt] = v
	}
	o, err := connector.CheckTableOptions(f, static)
	if err != nil {
		return nil, o, err
	}
	if err := o.NoPartitions(t); err != nil {
		return nil, o, err
	}
	cfg := &config{splits: max(t.Parallelism, 1), now: t.NowMillis, loc: t.Location}
	if cfg.loc == nil {
		cfg.loc = time.UTC
	}
	rate, err := o.Int(OptRowsPerSecond, 1, math.MaxInt64)
	if err != nil {
		return nil, o, err
	}
	cfg.rate = float64(rate)
	if o.Has(OptNumberOfRows) {
		n, err := o.Int(OptNumberOfRows, 0, math.MaxInt64)
		if err != nil {
			return nil, o, err
		}
		cfg.bounded, cfg.rows = true, uint64(n)
	}
	if o.Has(OptSeed) {
		s, err := strconv.ParseInt(strings.TrimSpace(o.Get(OptSeed)), 10, 64)
		if err != nil {
			return nil, o, o.Errorf("option '%s' is '%s', want an integer (equal seeds give equal rows)", OptSeed, o.Get(OptSeed))
		}
		cfg.seed, cfg.seedGiven = uint64(s), true
	}
	if n, err := connector.ScanParallelism(t.Options); err != nil {
		return nil, o, o.Errorf("%v", err)
	} else if n > 0 && t.Parallelism == 0 {
		cfg.splits = n
	}

	// Every field key must name a physical column (or a field of a ROW
	// column) and one of the field options.
	slices.Sort(fieldKeys)
	paths := map[string]table.Type{}
	var names []string
	for _, c := range t.Schema.Columns {
		names = append(names, c.Name)
		if c.Computed == "" && c.Metadata == "" {
			addPaths(paths, c.Name, c.Type)
		}
	}
	for _, k := range fieldKeys {
		rest := strings.TrimPrefix(k, "fields.")
		i := strings.LastIndexByte(rest, '.')
		if i < 0 {
			return nil, o, o.Errorf("unknown option '%s': per-column options are 'fields.<column>.<option>' with option one of %s", k, quoteAll(fieldOptions))
		}
		path, opt := rest[:i], rest[i+1:]
		if _, ok := paths[path]; !ok {
			for _, c := range slices.Concat(t.Schema.Columns, t.Computed) {
				if c.Name == path && c.Computed != "" {
					return nil, o, o.Errorf("option '%s': column '%s' is computed (AS %s); the connector generates only physical columns", k, path, c.Computed)
				}
				if c.Name == path && c.Metadata != "" {
					return nil, o, o.Errorf("option '%s': column '%s' is a metadata column; the connector has no metadata", k, path)
				}
			}
			hint := ""
			if c := closest(path, slices.Sorted(maps.Keys(paths))); c != "" {
				hint = fmt.Sprintf("; did you mean 'fields.%s.%s'?", c, opt)
			}
			return nil, o, o.Errorf("unknown option '%s': the table has no column '%s' (columns: %s)%s", k, path, strings.Join(names, ", "), hint)
		}
		if !slices.Contains(fieldOptions, opt) {
			hint := ""
			if c := closest(opt, fieldOptions); c != "" {
				hint = fmt.Sprintf("; did you mean 'fields.%s.%s'?", path, c)
			}
			return nil, o, o.Errorf("unknown option '%s': '%s' is not a per-column option (want one of %s)%s", k, opt, quoteAll(fieldOptions), hint)
		}
	}
	for _, c := range t.Schema.Columns {
		if c.Metadata != "" {
			return nil, o, o.Errorf("column '%s': the connector has no metadata (METADATA FROM '%s')", c.Name, c.Metadata)
		}
		if c.Computed != "" {
			cfg.cols = append(cfg.cols, &field{path: c.Name, typ: c.Type, computed: true})
			continue
		}
		fd, err := buildField(o, c.Name, c.Type, perField, true)
		if err != nil {
			return nil, o, err
		}
		fd.salt = nameSalt(c.Name)
		cfg.cols = append(cfg.cols, fd)
		if fd.kind == kindSequence {
			if !cfg.bounded || fd.seqLen < cfg.rows {
				cfg.rows = fd.seqLen
			}
			cfg.bounded = true
		}
	}
	if err := checkRowBytes(o, cfg.cols); err != nil {
		return nil, o, err
	}
	return cfg, o, nil
}

// valueBytes is the size of a table.Value.
const valueBytes = int64(unsafe.Sizeof(table.Value{}))

// worstBytes is the most memory a value of f can take: its table.Value,
// and the bytes of a string or byte string, or the values of an ARRAY,
// MAP or ROW (saturated at math.MaxInt64).
func (f *field) worstBytes() int64 {
	if f.computed {
		return valueBytes
	}
	switch f.typ.Root() {
	case table.RootChar, table.RootVarChar, table.RootBinary, table.RootVarBinary:
		if f.kind == kindSequence {
			return valueBytes + 20 // the digits of an int64
		}
		return valueBytes + int64(f.length)
	case table.RootArray:
		return satAdd(valueBytes, satMul(int64(f.length), f.elems[0].worstBytes()))
	case table.RootMap:
		return satAdd(valueBytes, satMul(int64(f.length), satAdd(f.elems[0].worstBytes(), f.elems[1].worstBytes())))
	case table.RootRow:
		n := valueBytes
		for _, e := range f.elems {
			n = satAdd(n, e.worstBytes())
		}
		return n
	}
	return valueBytes
}

// knob returns the option that bounds most of the worst-case size of f
// ("" when none does: a CHAR or BINARY type's length, or the default
// size of a nested collection).
func (f *field) knob() string {
	switch f.typ.Root() {
	case table.RootVarChar, table.RootVarBinary, table.RootArray, table.RootMap:
		return "fields." + f.path + "." + FieldLength
	case table.RootRow:
		var big *field
		for _, e := range f.elems {
			if big == nil || e.worstBytes() > big.worstBytes() {
				big = e
			}
		}
		if big != nil {
			return big.knob()
		}
	}
	return ""
}

// checkRowBytes refuses columns whose rows can exceed MaxRowBytes,
// naming the largest column and the option to lower.
func checkRowBytes(o *connector.TableOptions, cols []*field) error {
	var total int64
	var big *field
	for _, f := range cols {
		total = satAdd(total, f.worstBytes())
		if big == nil || f.worstBytes() > big.worstBytes() {
			big = f
		}
	}
	if total <= MaxRowBytes {
		return nil
	}
	way := fmt.Sprintf("narrow the type of column '%s' (%s)", big.path, big.typ)
	if k := big.knob(); k != "" {
		way = fmt.Sprintf("lower '%s'", k)
	}
	return o.Errorf("a row can take up to %s in memory, above strom's limit of %s a row: column '%s' alone up to %s; %s",
		sizeString(total), sizeString(MaxRowBytes), big.path, sizeString(big.worstBytes()), way)
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func satMul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// sizeString writes a byte count in GiB, MiB or bytes.
func sizeString(n int64) string {
	if n == math.MaxInt64 {
		return "more than 8 EiB"
	}
	if n < 1<<20 {
		return fmt.Sprintf("%d bytes", n)
	}
	if n >= 1<<30 {
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func addPaths(paths map[string]table.Type, path string, t table.Type) {
	paths[path] = t
	if t.Root() == table.RootRow {
		for _, f := range t.Fields() {
			addPaths(paths, path+"."+f.Name, f.Type)
		}
	}
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = "'" + v + "'"
	}
	return strings.Join(q, ", ")
}

// buildField checks the options of one field and builds its generator;
// top is set for a column (sequences are for columns only).
func buildField(o *connector.TableOptions, path string, t table.Type, perField map[string]map[string]string, top bool) (*field, error) {
	opts := perField[path]
	key := func(opt string) string { return "fields." + path + "." + opt }
	has := func(opt string) bool { _, ok := opts[opt]; return ok }
	fd := &field{path: path, typ: t}
	bad := func(opt, why string) error {
		return o.Errorf("option '%s' is '%s': %s", key(opt), opts[opt], why)
	}
	notFor := func(opt, what string) error {
		return o.Errorf("option '%s': %s (column '%s' is %s)", key(opt), what, path, t)
	}
	switch k := strings.ToLower(strings.TrimSpace(opts[FieldKind])); k {
	case "", "random":
	case "sequence":
		fd.kind = kindSequence
		if !top {
			return nil, notFor(FieldKind, "a sequence generates a column, not a field of a ROW; use 'random'")
		}
		if !sequenceType(t) {
			return nil, notFor(FieldKind, "the sequence generator takes TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL, CHAR, VARCHAR and STRING columns; use 'random'")
		}
	default:
		return nil, bad(FieldKind, "want 'random' or 'sequence'")
	}
	if has(FieldNullRate) {
		r, err := strconv.ParseFloat(strings.TrimSpace(opts[FieldNullRate]), 64)
		if err != nil || !(r >= 0 && r <= 1) {
			return nil, bad(FieldNullRate, "want a number in [0, 1] (the fraction of NULL values)")
		}
		if r > 0 && !t.Nullable() {
			return nil, bad(FieldNullRate, fmt.Sprintf("column '%s' is NOT NULL; drop the option or make the column nullable", path))
		}
		fd.nullRate = r
	}
	// Options that belong to the other kind, or to other types.
	if fd.kind == kindSequence {
		for _, opt := range []string{FieldMin, FieldMax, FieldMaxPast, FieldLength, FieldVarLen} {
			if has(opt) {
				return nil, notFor(opt, "applies to 'random' fields, this one is a 'sequence' (it takes 'start' and 'end')")
			}
		}
		if !has(FieldStart) || !has(FieldEnd) {
			missing := FieldStart
			if has(FieldStart) {
				missing = FieldEnd
			}
			return nil, o.Errorf("column '%s' is a sequence without option '%s': a sequence needs 'fields.%s.start' and 'fields.%s.end' (the first and last value)", path, key(missing), path, path)
		}
		return fd, sequence(o, fd, opts, key)
	}
	for _, opt := range []string{FieldStart, FieldEnd} {
		if has(opt) {
			return nil, notFor(opt, "applies to 'sequence' fields; set 'fields."+path+".kind' = 'sequence' or use 'min' and 'max'")
		}
	}
	numeric := t.IsNumeric()
	if (has(FieldMin) || has(FieldMax)) && !numeric {
		opt := FieldMin
		if !has(FieldMin) {
			opt = FieldMax
		}
		return nil, notFor(opt, "'min' and 'max' apply to numeric columns (TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, DECIMAL)")
	}
	if has(FieldMaxPast) && !t.IsTimestamp() {
		return nil, notFor(FieldMaxPast, "'max-past' applies to TIMESTAMP and TIMESTAMP_LTZ columns")
	}
	varType := t.Root() == table.RootVarChar || t.Root() == table.RootVarBinary
	if has(FieldVarLen) && !varType {
		return nil, notFor(FieldVarLen, "'var-len' applies to variable-length types (VARCHAR, STRING, VARBINARY, BYTES)")
	}
	switch t.Root() {
	case table.RootTinyInt, table.RootSmallInt, table.RootInt, table.RootBigInt:
		lo, hi := intRange(t.Root())
		fd.lo, fd.hi = lo, hi
		var err error
		if has(FieldMin) {
			if fd.lo, err = parseInt(opts[FieldMin], lo, hi); err != nil {
				return nil, bad(FieldMin, err.Error())
			}
		}
		if has(FieldMax) {
			if fd.hi, err = parseInt(opts[FieldMax], lo, hi); err != nil {
				return nil, bad(FieldMax, err.Error())
			}
		}
		if fd.lo > fd.hi {
			return nil, o.Errorf("column '%s': 'min' %d is greater than 'max' %d", path, fd.lo, fd.hi)
		}
	case table.RootFloat, table.RootDouble:
		// Flink's defaults: the type's smallest positive value to its
		// largest.
		fd.flo, fd.fhi = math.SmallestNonzeroFloat64, math.MaxFloat64
		if t.Root() == table.RootFloat {
			fd.flo, fd.fhi = math.SmallestNonzeroFloat32, math.MaxFloat32
		}
		for _, b := range []struct {
			opt string
			v   *float64
		}{{FieldMin, &fd.flo}, {FieldMax, &fd.fhi}} {
			if !has(b.opt) {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(opts[b.opt]), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || t.Root() == table.RootFloat && math.Abs(v) > math.MaxFloat32 {
				return nil, bad(b.opt, fmt.Sprintf("want a finite number of type %s", t))
			}
			*b.v = v
		}
		if fd.flo > fd.fhi {
			return nil, o.Errorf("column '%s': 'min' %v is greater than 'max' %v", path, fd.flo, fd.fhi)
		}
	case table.RootDecimal:
		p, s := t.Precision(), t.Scale()
		lim := new(big.Int).Sub(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil), big.NewInt(1))
		fd.dlo, fd.dhi = new(big.Int).Neg(lim), lim
		// min rounds up and max down to the scale, so that every value
		// lies in [min, max].
		var exact [2]table.Decimal
		for i, b := range []struct {
			opt string
			v   **big.Int
			up  bool
		}{{FieldMin, &fd.dlo, true}, {FieldMax, &fd.dhi, false}} {
			if !has(b.opt) {
				continue
			}
			d, x, err := parseDecimalBound(opts[b.opt], p, s, b.up)
			if err != nil {
				return nil, bad(b.opt, err.Error())
			}
			*b.v, exact[i] = d, x
		}
		if has(FieldMin) && has(FieldMax) && exact[0].Cmp(exact[1]) > 0 {
			return nil, o.Errorf("column '%s': 'min' %s is greater than 'max' %s", path, opts[FieldMin], opts[FieldMax])
		}
		if fd.dlo.Cmp(fd.dhi) > 0 {
			return nil, o.Errorf("column '%s': no value of %s lies in ['min' %s, 'max' %s] (they fall between two values of scale %d); widen the range",
				path, t, opts[FieldMin], opts[FieldMax], s)
		}
	case table.RootTimestamp, table.RootTimestampLTZ:
		if has(FieldMaxPast) {
			d, err := connector.ParseDuration(opts[FieldMaxPast])
			if err != nil {
				return nil, bad(FieldMaxPast, "want a duration such as '5 s' or '1 min'")
			}
			fd.maxPast = d.Milliseconds()
		}
	case table.RootChar, table.RootBinary:
		if has(FieldLength) {
			return nil, notFor(FieldLength, "the length of a fixed-length type (CHAR, BINARY) is the schema's; drop the option")
		}
		fd.length = min(t.Length(), MaxLength)
	case table.RootVarChar, table.RootVarBinary:
		fd.length = defaultLength
		if t.Length() < table.MaxLength {
			fd.length = min(t.Length(), MaxLength)
		}
		if has(FieldLength) {
			n, err := parseInt(opts[FieldLength], 0, MaxLength)
			if err != nil {
				return nil, bad(FieldLength, err.Error())
			}
			if t.Length() < table.MaxLength && int(n) > t.Length() {
				return nil, bad(FieldLength, fmt.Sprintf("longer than the %d of the schema's %s; make it at most %d", t.Length(), t, t.Length()))
			}
			fd.length = int(n)
		}
		if has(FieldVarLen) {
			switch strings.ToLower(strings.TrimSpace(opts[FieldVarLen])) {
			case "true":
				fd.varLen = true
			case "false":
			default:
				return nil, bad(FieldVarLen, "want 'true' or 'false'")
			}
		}
	case table.RootArray, table.RootMap:
		fd.length = defaultCollection
		if has(FieldLength) {
			n, err := parseInt(opts[FieldLength], 0, MaxCollection)
			if err != nil {
				return nil, bad(FieldLength, err.Error())
			}
			fd.length = int(n)
		}
		if t.Root() == table.RootArray {
			fd.elems = []*field{defaultField(path+".element", t.Elem())}
		} else {
			fd.elems = []*field{defaultField(path+".key", t.Elem()), defaultField(path+".value", t.ValueType())}
		}
	case table.RootRow:
		for _, sub := range t.Fields() {
			e, err := buildField(o, path+"."+sub.Name, sub.Type, perField, false)
			if err != nil {
				return nil, err
			}
			fd.elems = append(fd.elems, e)
		}
	case table.RootBoolean, table.RootDate, table.RootTime, table.RootIntervalDayTime, table.RootIntervalYearMonth:
	default:
		return nil, o.Errorf("column '%s': the connector cannot generate values of type %s", path, t)
	}
	if has(FieldLength) && fd.length == 0 && t.Root() != table.RootArray && t.Root() != table.RootMap &&
		t.Root() != table.RootVarChar && t.Root() != table.RootVarBinary {
		return nil, notFor(FieldLength, "'length' applies to strings, byte strings, arrays and maps")
	}
	return fd, nil
}

// defaultField is the generator of an ARRAY's element or a MAP's key or
// value: random with the defaults (they take no options).
func defaultField(path string, t table.Type) *field {
	perField := map[string]map[string]string{}
	fd, err := buildField(&connector.TableOptions{}, path, t, perField, false)
	if err != nil { // only an unsupported type; generate NULLs
		return &field{path: path, typ: t, computed: true}
	}
	return fd
}

func sequenceType(t table.Type) bool {
	switch t.Root() {
	case table.RootTinyInt, table.RootSmallInt, table.RootInt, table.RootBigInt, table.RootFloat, table.RootDouble,
		table.RootDecimal, table.RootChar, table.RootVarChar:
		return true
	}
	return false
}

// sequence reads the start and end of a sequence field.
func sequence(o *connector.TableOptions, fd *field, opts map[string]string, key func(string) string) error {
	t := fd.typ
	bad := func(opt, why string) error {
		return o.Errorf("option '%s' is '%s': %s", key(opt), opts[opt], why)
	}
	order := func() error {
		return o.Errorf("column '%s': sequence 'start' %s is greater than 'end' %s", fd.path, opts[FieldStart], opts[FieldEnd])
	}
	switch t.Root() {
	case table.RootFloat, table.RootDouble:
		var se [2]float64
		for i, opt := range []string{FieldStart, FieldEnd} {
			v, err := strconv.ParseFloat(strings.TrimSpace(opts[opt]), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || t.Root() == table.RootFloat && math.Abs(v) > math.MaxFloat32 {
				return bad(opt, fmt.Sprintf("want a finite number of type %s", t))
			}
			se[i] = v
		}
		if se[0] > se[1] {
			return order()
		}
		fd.seqF = se[0]
		fd.seqLen = satLen(math.Floor(se[1]-se[0]) + 1)
	case table.RootDecimal:
		var se [2]*big.Int
		for i, opt := range []string{FieldStart, FieldEnd} {
			d, err := parseDecimal(opts[opt], t.Precision(), t.Scale())
			if err != nil {
				return bad(opt, err.Error())
			}
			se[i] = d
		}
		if se[0].Cmp(se[1]) > 0 {
			return order()
		}
		fd.seqD = se[0]
		// (end - start) / 10^scale + 1 values.
		n := new(big.Int).Sub(se[1], se[0])
		n.Quo(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Scale())), nil))
		n.Add(n, big.NewInt(1))
		fd.seqLen = math.MaxUint64
		if n.IsUint64() {
			fd.seqLen = n.Uint64()
		}
	default: // integers and strings
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		if t.IsInteger() {
			lo, hi = intRange(t.Root())
		}
		var se [2]int64
		for i, opt := range []string{FieldStart, FieldEnd} {
			v, err := parseInt(opts[opt], lo, hi)
			if err != nil {
				return bad(opt, err.Error())
			}
			se[i] = v
		}
		if se[0] > se[1] {
			return order()
		}
		if t.IsString() {
			for i, opt := range []string{FieldStart, FieldEnd} {
				if n := len(strconv.FormatInt(se[i], 10)); n > t.Length() {
					return bad(opt, fmt.Sprintf("'%d' is longer than the %d characters of %s; widen the column or shorten the sequence", se[i], t.Length(), t))
				}
			}
		}
		fd.seqI = se[0]
		fd.seqLen = uint64(se[1]-se[0]) + 1
		if fd.seqLen == 0 { // the whole int64 range
			fd.seqLen = math.MaxUint64
		}
	}
	return nil
}

func satLen(f float64) uint64 {
	if f >= math.MaxUint64 {
		return math.MaxUint64
	}
	return uint64(f)
}

func intRange(r table.Root) (int64, int64) {
	switch r {
	case table.RootTinyInt:
		return math.MinInt8, math.MaxInt8
	case table.RootSmallInt:
		return math.MinInt16, math.MaxInt16
	case table.RootInt:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

func parseInt(s string, lo, hi int64) (int64, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("want an integer in [%d, %d]", lo, hi)
	}
	return v, nil
}

// parseDecimal returns the unscaled value of s at scale s, which must fit
// DECIMAL(p, s).
func parseDecimal(str string, p, s int) (*big.Int, error) {
	d, err := table.ParseDecimal(strings.TrimSpace(str))
	if err == nil {
		d = d.Rescale(s)
	}
	if err != nil || !d.Fits(p, s) {
		return nil, fmt.Errorf("want a number that fits DECIMAL(%d, %d)", p, s)
	}
	return d.Unscaled(), nil
}

// parseDecimalBound returns the unscaled value of str at scale s, rounded
// up (min) or down (max) to that scale, which must fit DECIMAL(p, s); and
// str's exact value.
func parseDecimalBound(str string, p, s int, up bool) (*big.Int, table.Decimal, error) {
	want := fmt.Errorf("want a number that fits DECIMAL(%d, %d)", p, s)
	x, err := table.ParseDecimal(strings.TrimSpace(str))
	if err != nil {
		return nil, x, want
	}
	d := x
	if x.Scale() > s {
		q, m := new(big.Int).DivMod(x.Unscaled(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(x.Scale()-s)), nil), new(big.Int))
		if up && m.Sign() != 0 { // DivMod's q is the floor
			q.Add(q, big.NewInt(1))
		}
		d = table.NewDecimalBig(q, s)
	}
	if d = d.Rescale(s); !d.Fits(p, s) {
		return nil, x, want
	}
	return d.Unscaled(), x, nil
}

// closest returns the candidate nearest to s in edit distance, when it is
// near enough to be a typo (at most a third of s), else "".
func closest(s string, candidates []string) string {
	best, bestD := "", max(len(s)/3, 1)+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
