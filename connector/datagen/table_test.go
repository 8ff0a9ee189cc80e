package datagen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
)

// schema builds a schema from "name TYPE" pairs ("name AS expr" for a
// computed column).
func schema(t testing.TB, cols ...string) table.Schema {
	t.Helper()
	var s table.Schema
	for _, c := range cols {
		name, typ, _ := strings.Cut(c, " ")
		if e, ok := strings.CutPrefix(typ, "AS "); ok {
			s.Columns = append(s.Columns, table.Column{Name: name, Type: table.BigIntType(), Computed: e})
			continue
		}
		ty, err := table.ParseType(typ)
		if err != nil {
			t.Fatalf("type %q: %v", typ, err)
		}
		s.Columns = append(s.Columns, table.Column{Name: name, Type: ty})
	}
	return s
}

// fakeWall is a wall clock for the rate limit that moves only when told.
type fakeWall struct{ t time.Time }

func (w *fakeWall) now() time.Time { return w.t }

// fastWall moves an hour at every reading: the rate limit never holds.
func fastWall() func() time.Time {
	t := time.Unix(0, 0)
	return func() time.Time { t = t.Add(time.Hour); return t }
}

type fixture struct {
	schema table.Schema
	opts   map[string]string
	par    int
	now    int64 // the job's clock (epoch ms), fixed
	loc    *time.Location
	fields [][]int // a projection, nil for none
}

func (f fixture) ctx() connector.TableContext {
	now := f.now
	if now == 0 {
		now = 1_700_000_000_000
	}
	return connector.TableContext{Name: "t", Schema: f.schema, Options: f.opts, Parallelism: f.par,
		NowMillis: func() int64 { return now }, Location: f.loc}
}

func (f fixture) source(t testing.TB) *source {
	t.Helper()
	var src connector.Source[table.Row]
	var err error
	if f.fields != nil {
		src, err = TableFactory().ProjectedTableSource(context.Background(), f.ctx(), f.fields)
	} else {
		src, err = TableFactory().TableSource(context.Background(), f.ctx())
	}
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*source)
	s.wallNow = fastWall()
	return s
}

// readSplit reads a split to its end (at most limit rows), in reads of
// up to 7 rows.
func readSplit(t testing.TB, s *source, sp connector.Split, pos []byte, limit int) ([]table.Row, []byte) {
	t.Helper()
	r, err := s.Open(context.Background(), sp, pos)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []table.Row
	buf := make([]table.Row, 7)
	for len(out) < limit {
		n, err := r.Read(context.Background(), buf[:min(7, limit-len(out))])
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return out, r.Position()
}

// readAll reads every split to its end (at most limit rows each).
func readAll(t testing.TB, s *source, limit int) []table.Row {
	t.Helper()
	splits, err := s.Splits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []table.Row
	for _, sp := range splits {
		rows, _ := readSplit(t, s, sp, nil, limit)
		out = append(out, rows...)
	}
	return out
}

func rowStrings(rows []table.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.String()
	}
	return out
}

func TestSequenceBoundsTheTable(t *testing.T) {
	for _, c := range []struct {
		opts map[string]string
		want int
	}{
		{map[string]string{"fields.id.kind": "sequence", "fields.id.start": "1", "fields.id.end": "10"}, 10},
		{map[string]string{"fields.id.kind": "sequence", "fields.id.start": "1", "fields.id.end": "10", "number-of-rows": "4"}, 4},
		{map[string]string{"fields.id.kind": "sequence", "fields.id.start": "1", "fields.id.end": "10", "number-of-rows": "40"}, 10},
		// Two sequences: the shorter ends the table.
		{map[string]string{"fields.id.kind": "sequence", "fields.id.start": "1", "fields.id.end": "10",
			"fields.s.kind": "sequence", "fields.s.start": "-3", "fields.s.end": "2"}, 6},
		{map[string]string{"number-of-rows": "0"}, 0},
	} {
		f := fixture{schema: schema(t, "id INT", "s STRING"), opts: c.opts}
		s := f.source(t)
		if !s.Bounded() {
			t.Fatalf("%v: not bounded", c.opts)
		}
		rows := readAll(t, s, 1000)
		if len(rows) != c.want {
			t.Fatalf("%v: %d rows, want %d", c.opts, len(rows), c.want)
		}
		for i, r := range rows {
			if c.opts["fields.id.kind"] != "" && r.Fields[0].AsInt() != int64(1+i) {
				t.Fatalf("%v: row %d is %v, want id %d", c.opts, i, r, 1+i)
			}
			if c.opts["fields.s.kind"] != "" && r.Fields[1].AsString() != fmt.Sprint(i-3) {
				t.Fatalf("%v: row %d is %v, want s '%d'", c.opts, i, r, i-3)
			}
		}
	}
	f := fixture{schema: schema(t, "id INT"), opts: map[string]string{}}
	if f.source(t).Bounded() {
		t.Fatal("a table without number-of-rows and sequences is bounded")
	}
}

func TestSequenceTypes(t *testing.T) {
	f := fixture{schema: schema(t, "a TINYINT", "b DOUBLE", "c DECIMAL(6, 2)", "d FLOAT", "e VARCHAR(3)"), opts: map[string]string{
		"fields.a.kind": "sequence", "fields.a.start": "125", "fields.a.end": "127",
		"fields.b.kind": "sequence", "fields.b.start": "0.5", "fields.b.end": "10",
		"fields.c.kind": "sequence", "fields.c.start": "1.25", "fields.c.end": "100",
		"fields.d.kind": "sequence", "fields.d.start": "-1", "fields.d.end": "10",
		"fields.e.kind": "sequence", "fields.e.start": "997", "fields.e.end": "999",
	}}
	got := strings.Join(rowStrings(readAll(t, f.source(t), 100)), "\n")
	want := "+I(125, 5E-1, 1.25, -1E0, '997')\n+I(126, 1.5E0, 2.25, 0E0, '998')\n+I(127, 2.5E0, 3.25, 1E0, '999')"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// The rows of a table do not depend on its parallelism: the splits cut
// the rows (and the sequences) without overlap.
func TestParallelSplitsNoOverlap(t *testing.T) {
	opts := map[string]string{"seed": "7", "fields.id.kind": "sequence", "fields.id.start": "1", "fields.id.end": "100",
		"fields.v.min": "0", "fields.v.max": "1000000"}
	one := rowStrings(readAll(t, fixture{schema: schema(t, "id BIGINT", "v INT", "s STRING"), opts: opts, par: 1}.source(t), 1000))
	for _, par := range []int{2, 3, 7} {
		s := fixture{schema: schema(t, "id BIGINT", "v INT", "s STRING"), opts: opts, par: par}.source(t)
		splits, _ := s.Splits(context.Background())
		if len(splits) != par {
			t.Fatalf("parallelism %d: %d splits", par, len(splits))
		}
		seen := map[int64]bool{}
		var all []string
		for _, sp := range splits {
			rows, _ := readSplit(t, s, sp, nil, 1000)
			for _, r := range rows {
				id := r.Fields[0].AsInt()
				if seen[id] {
					t.Fatalf("parallelism %d: id %d twice", par, id)
				}
				seen[id] = true
			}
			all = append(all, rowStrings(rows)...)
		}
		slices.Sort(all)
		sorted := slices.Clone(one)
		slices.Sort(sorted)
		if !slices.Equal(all, sorted) {
			t.Fatalf("parallelism %d gives other rows than 1", par)
		}
	}
	// scan.parallelism sets the splits when the caller gives none.
	s := fixture{schema: schema(t, "id BIGINT"), opts: map[string]string{"scan.parallelism": "4"}}.source(t)
	if splits, _ := s.Splits(context.Background()); len(splits) != 4 {
		t.Fatalf("scan.parallelism 4: %d splits", len(splits))
	}
}

// An unbounded table's splits interleave the rows: split i of k has rows
// i, i+k, ...: the first rows of two splits differ.
func TestUnboundedSplits(t *testing.T) {
	s := fixture{schema: schema(t, "v BIGINT"), opts: map[string]string{"seed": "1"}, par: 2}.source(t)
	splits, _ := s.Splits(context.Background())
	a, _ := readSplit(t, s, splits[0], nil, 50)
	b, _ := readSplit(t, s, splits[1], nil, 50)
	one := fixture{schema: schema(t, "v BIGINT"), opts: map[string]string{"seed": "1"}, par: 1}.source(t)
	sp1, _ := one.Splits(context.Background())
	all, _ := readSplit(t, one, sp1[0], nil, 100)
	for i := range 50 {
		if !a[i].Fields[0].Equal(all[2*i].Fields[0]) || !b[i].Fields[0].Equal(all[2*i+1].Fields[0]) {
			t.Fatalf("row %d: split rows %v %v, table rows %v %v", i, a[i], b[i], all[2*i], all[2*i+1])
		}
	}
}

func TestRandomRanges(t *testing.T) {
	f := fixture{schema: schema(t, "i INT", "ti TINYINT", "d DOUBLE", "fl FLOAT", "dec DECIMAL(5, 2)", "s STRING", "vs VARCHAR(5)",
		"ch CHAR(3)", "vl STRING", "by BYTES", "arr ARRAY<INT>", "m MAP<INT, STRING>", "r ROW<x INT, y STRING>", "b BOOLEAN",
		"bi BIGINT", "dd DECIMAL(38, 0)"),
		opts: map[string]string{"seed": "3",
			"fields.i.min": "-5", "fields.i.max": "5", "fields.d.min": "1.5", "fields.d.max": "2.5",
			"fields.fl.min": "-1", "fields.fl.max": "1",
			"fields.dec.min": "-1.5", "fields.dec.max": "1.5", "fields.s.length": "7",
			"fields.vl.length": "9", "fields.vl.var-len": "true", "fields.by.length": "4", "fields.arr.length": "5",
			"fields.m.length": "2", "fields.r.x.min": "10", "fields.r.x.max": "12", "fields.r.y.length": "2",
			"fields.bi.min": "-9223372036854775808", "fields.bi.max": "9223372036854775807"},
		par: 1}
	rows := readAll(t, f.source(t), 500)
	if len(rows) != 500 {
		t.Fatalf("%d rows", len(rows))
	}
	lens := map[int]bool{}
	bools := map[bool]bool{}
	for _, r := range rows {
		v := r.Fields
		if n := v[0].AsInt(); n < -5 || n > 5 {
			t.Fatalf("i = %d", n)
		}
		if n := v[1].AsInt(); n < -128 || n > 127 {
			t.Fatalf("ti = %d", n)
		}
		if x := v[2].AsFloat(); x < 1.5 || x > 2.5 {
			t.Fatalf("d = %v", x)
		}
		if x := v[3].AsFloat(); x < -1 || x > 1 || float64(float32(x)) != x {
			t.Fatalf("fl = %v", x)
		}
		dec := v[4].AsDecimal()
		if dec.Scale() != 2 || dec.Cmp(table.NewDecimal(-150, 2)) < 0 || dec.Cmp(table.NewDecimal(150, 2)) > 0 {
			t.Fatalf("dec = %v", dec)
		}
		for _, c := range []struct {
			i, n int
		}{{5, 7}, {6, 5}, {7, 3}} {
			s := v[c.i].AsString()
			if len(s) != c.n || strings.Trim(s, "0123456789abcdef") != "" {
				t.Fatalf("column %d = %q, want %d hex digits", c.i, s, c.n)
			}
		}
		vl := len(v[8].AsString())
		if vl < 1 || vl > 9 {
			t.Fatalf("vl of length %d", vl)
		}
		lens[vl] = true
		if len(v[9].AsBytes()) != 4 {
			t.Fatalf("by = %x", v[9].AsBytes())
		}
		if len(v[10].Elems()) != 5 {
			t.Fatalf("arr = %v", v[10])
		}
		if k, _ := v[11].MapEntries(); len(k) < 1 || len(k) > 2 {
			t.Fatalf("m = %v", v[11])
		}
		rf := v[12].Elems()
		if x := rf[0].AsInt(); x < 10 || x > 12 || len(rf[1].AsString()) != 2 {
			t.Fatalf("r = %v", v[12])
		}
		bools[v[13].AsBool()] = true
		if !v[15].AsDecimal().Fits(38, 0) {
			t.Fatalf("dd = %v", v[15])
		}
	}
	if len(lens) < 5 || len(bools) != 2 {
		t.Fatalf("var-len gave lengths %v, booleans %v", lens, bools)
	}
}

// DECIMAL min and max off the scale round inwards (min up, max down), so
// every value lies in [min, max]; a range without a value of the scale is
// refused.
func TestDecimalBoundsRoundInwards(t *testing.T) {
	for _, c := range []struct {
		typ, min, max string
		lo, hi        int64 // unscaled
	}{
		{"DECIMAL(10, 2)", "0.004", "0.016", 1, 1},
		{"DECIMAL(10, 2)", "0.005", "0.024", 1, 2},
		{"DECIMAL(10, 2)", "-0.016", "-0.004", -1, -1},
		{"DECIMAL(10, 2)", "-0.011", "0.011", -1, 1},
		{"DECIMAL(10, 2)", "0.01", "0.02", 1, 2},
		{"DECIMAL(3, 2)", "-9.996", "9.996", -999, 999}, // 10.00 would not fit
		{"DECIMAL(5, 0)", "0.5", "2.5", 1, 2},
	} {
		opts := map[string]string{"fields.d.min": c.min, "fields.d.max": c.max, "number-of-rows": "200", "seed": "3"}
		s := fixture{schema: schema(t, "d "+c.typ), opts: opts}.source(t)
		if f := s.cfg.cols[0]; f.dlo.Int64() != c.lo || f.dhi.Int64() != c.hi {
			t.Errorf("%s [%s, %s]: unscaled [%v, %v], want [%d, %d]", c.typ, c.min, c.max, f.dlo, f.dhi, c.lo, c.hi)
			continue
		}
		lo, _ := table.ParseDecimal(c.min)
		hi, _ := table.ParseDecimal(c.max)
		for _, r := range readAll(t, s, 1000) {
			if d := r.Fields[0].AsDecimal(); d.Cmp(lo) < 0 || d.Cmp(hi) > 0 {
				t.Fatalf("%s [%s, %s]: value %v", c.typ, c.min, c.max, d)
			}
		}
	}
	_, err := TableFactory().TableSource(context.Background(), fixture{schema: schema(t, "d DECIMAL(10, 2)"),
		opts: map[string]string{"fields.d.min": "0.004", "fields.d.max": "0.006"}}.ctx())
	if err == nil || !strings.Contains(err.Error(), "no value of DECIMAL(10, 2) lies in ['min' 0.004, 'max' 0.006]") {
		t.Fatalf("a range between two values of the scale: %v", err)
	}
}

// Random INTERVALs lie in their types' ranges: INTERVAL DAY(2) TO
// SECOND(3) and INTERVAL YEAR(2) TO MONTH, two digits of days or years.
func TestIntervalRanges(t *testing.T) {
	s := fixture{schema: schema(t, "a INTERVAL DAY TO SECOND", "b INTERVAL YEAR TO MONTH"), opts: map[string]string{"number-of-rows": "2000", "seed": "2"}}.source(t)
	var neg, pos bool
	for _, r := range readAll(t, s, 10000) {
		ms, months := r.Fields[0].AsInterval(), r.Fields[1].AsInterval()
		if ms < -maxIntervalMillis || ms > maxIntervalMillis || months < -maxIntervalMonths || months > maxIntervalMonths {
			t.Fatalf("row %v: outside DAY(2) TO SECOND(3), YEAR(2) TO MONTH", r)
		}
		neg, pos = neg || ms < 0 && months < 0, pos || ms > 0 && months > 0
	}
	if !neg || !pos {
		t.Fatal("intervals of one sign only")
	}
	if maxIntervalMillis != 8_639_999_999 || maxIntervalMonths != 1199 {
		t.Fatal("the bounds are not 99 days 23:59:59.999 and 99 years 11 months")
	}
}

func TestNullRate(t *testing.T) {
	for _, c := range []struct {
		rate     string
		lo, hi   int
		schemaOf string
	}{{"0", 0, 0, "v INT"}, {"1", 1000, 1000, "v INT"}, {"0.25", 200, 300, "v INT"}, {"0.5", 400, 600, "v INT"},
		{"0.5", 400, 600, "v STRING"}} {
		f := fixture{schema: schema(t, c.schemaOf), opts: map[string]string{"seed": "11", "number-of-rows": "1000", "fields.v.null-rate": c.rate}}
		nulls := 0
		for _, r := range readAll(t, f.source(t), 2000) {
			if r.Fields[0].IsNull() {
				nulls++
			}
		}
		if nulls < c.lo || nulls > c.hi {
			t.Fatalf("null-rate %s: %d NULLs of 1000, want [%d, %d]", c.rate, nulls, c.lo, c.hi)
		}
	}
}

// max-past: random times in [now - max-past, now] of the job's clock;
// TIMESTAMP is the local time of the session zone, TIMESTAMP_LTZ the
// instant; DATE and TIME are the clock's.
func TestTimes(t *testing.T) {
	now := int64(1_700_000_123_456)
	loc := time.FixedZone("X", 2*3600)
	f := fixture{schema: schema(t, "ltz TIMESTAMP_LTZ(3)", "ts TIMESTAMP(3)", "ts0 TIMESTAMP(0)", "d DATE", "tm TIME(0)", "z TIMESTAMP_LTZ(3)"),
		opts: map[string]string{"seed": "5", "number-of-rows": "300", "fields.ltz.max-past": "10 s", "fields.ts.max-past": "1 min",
			"fields.ts0.max-past": "5000"},
		now: now, loc: loc}
	off := int64(2 * 3600 * 1000)
	past := map[int64]bool{}
	for _, r := range readAll(t, f.source(t), 1000) {
		ltz, _ := r.Fields[0].AsTimestamp()
		ts, _ := r.Fields[1].AsTimestamp()
		ts0, _ := r.Fields[2].AsTimestamp()
		z, _ := r.Fields[5].AsTimestamp()
		if ltz < now-10_000 || ltz > now {
			t.Fatalf("ltz %d not in [now-10s, now]", ltz)
		}
		if ts < now+off-60_000 || ts > now+off {
			t.Fatalf("ts %d not in the local [now-1min, now]", ts)
		}
		if ts0%1000 != 0 || ts0 < now+off-5000-1000 || ts0 > now+off {
			t.Fatalf("ts0 %d: not whole seconds in the local [now-5s, now]", ts0)
		}
		if z != now {
			t.Fatalf("without max-past: %d, want now %d", z, now)
		}
		if d := r.Fields[3].AsDate(); int64(d) != (now+off)/86_400_000 {
			t.Fatalf("date %d", d)
		}
		if tm := r.Fields[4].AsTime(); int64(tm) != (now+off)%86_400_000/1000*1000 {
			t.Fatalf("time %d", tm)
		}
		past[now-ltz] = true
	}
	if len(past) < 100 {
		t.Fatalf("only %d distinct times", len(past))
	}
}

func TestSeed(t *testing.T) {
	read := func(seed string) []string {
		opts := map[string]string{"number-of-rows": "20"}
		if seed != "" {
			opts["seed"] = seed
		}
		return rowStrings(readAll(t, fixture{schema: schema(t, "a BIGINT", "s STRING"), opts: opts}.source(t), 100))
	}
	if !slices.Equal(read("42"), read("42")) {
		t.Fatal("equal seeds give other rows")
	}
	if slices.Equal(read("42"), read("43")) {
		t.Fatal("other seeds give equal rows")
	}
	if slices.Equal(read(""), read("")) {
		t.Fatal("two job starts without a seed give equal rows")
	}
}

// A restored split continues exactly where it stopped: the rows after
// the position are those of an uninterrupted run, also when the seed was
// the random default (the position keeps it).
func TestRestoreContinues(t *testing.T) {
	for _, opts := range []map[string]string{
		{"number-of-rows": "100"},
		{"seed": "9"},
		{"fields.id.kind": "sequence", "fields.id.start": "1", "fields.id.end": "90", "fields.s.null-rate": "0.3"},
	} {
		mk := func() *source {
			return fixture{schema: schema(t, "id BIGINT", "s STRING", "ts TIMESTAMP_LTZ(3)"), opts: opts, par: 2}.source(t)
		}
		s := mk()
		splits, _ := s.Splits(context.Background())
		for _, sp := range splits {
			whole, _ := readSplit(t, s, sp, nil, 60)
			first, pos := readSplit(t, s, sp, nil, 17)
			s2 := mk() // a new job start: another default seed
			rest, _ := readSplit(t, s2, sp, pos, 60-17)
			got := rowStrings(append(first, rest...))
			if !slices.Equal(got, rowStrings(whole)) {
				t.Fatalf("%v, split %s: restored\n%v\nwant\n%v", opts, sp.ID, got, rowStrings(whole))
			}
		}
	}
}

func TestRestoreRefused(t *testing.T) {
	mk := func(par int, seed string) *source {
		opts := map[string]string{}
		if seed != "" {
			opts["seed"] = seed
		}
		return fixture{schema: schema(t, "v BIGINT"), opts: opts, par: par}.source(t)
	}
	s := mk(2, "1")
	splits, _ := s.Splits(context.Background())
	_, pos := readSplit(t, s, splits[0], nil, 5)
	other, _ := mk(3, "1").Splits(context.Background())
	if _, err := mk(3, "1").Open(context.Background(), other[0], pos); err == nil || !strings.Contains(err.Error(), "scan.parallelism' = '2'") {
		t.Fatalf("restore at another parallelism: %v", err)
	}
	if _, err := mk(2, "2").Open(context.Background(), splits[0], pos); err == nil || !strings.Contains(err.Error(), "'seed' = '1'") {
		t.Fatalf("restore with another seed: %v", err)
	}
	if _, err := mk(2, "").Open(context.Background(), splits[0], pos); err != nil {
		t.Fatalf("restore without a seed: %v", err)
	}
	bad := slices.Clone(pos)
	bad[len(bad)-5] ^= 1
	if _, err := mk(2, "1").Open(context.Background(), splits[0], bad); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt position: %v", err)
	}
	if _, err := mk(2, "1").Open(context.Background(), connector.Split{ID: "x", Data: []byte{9}}, nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt split: %v", err)
	}
}

func TestPositionRoundTrip(t *testing.T) {
	for _, p := range []position{
		{version: 2, split: 0, splits: 1},
		{version: 2, split: 3, splits: 4, seed: math.MaxUint64, rows: 1 << 40},
		{version: 2, split: maxSplits - 1, splits: maxSplits, seed: 12345, rows: math.MaxUint64},
		{version: 2, split: 1, splits: 2, seed: 7, bounded: true, total: 11, rows: 6},
		{version: 2, split: 0, splits: 3, bounded: true, total: math.MaxUint64, rows: math.MaxUint64 / 3},
		{version: 1, split: 3, splits: 4, seed: math.MaxUint64, rows: 1 << 40},
	} {
		got, err := decodePosition(encodePosition(p))
		if err != nil || got != p {
			t.Fatalf("%+v: got %+v, %v", p, got, err)
		}
	}
	for _, p := range []position{
		{version: 2, split: 1, splits: 2, bounded: true, total: 11, rows: 7}, // beyond the split's 6 rows
		{version: 2, split: 0, splits: 1, bounded: false, total: 3},
		{version: 3, split: 1, splits: 2, seed: 3, rows: 4},
	} {
		if _, err := decodePosition(encodePosition(p)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%+v: %v", p, err)
		}
	}
	b := encodePosition(position{version: 2, split: 1, splits: 2, seed: 3, rows: 4})
	b[0] = 3
	if _, err := decodePosition(b); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "version 3") {
		t.Fatalf("a newer version: %v", err)
	}
}

// A restore into a table of another length ('number-of-rows', a
// sequence's start and end, bounded or not) is refused: a split's rows
// depend on the table's length, so it would repeat and skip rows.
func TestRestoreChangedLength(t *testing.T) {
	mk := func(opts map[string]string) *source {
		return fixture{schema: schema(t, "v BIGINT"), opts: opts, par: 2}.source(t)
	}
	rows := func(n string) map[string]string { return map[string]string{"seed": "1", "number-of-rows": n} }
	seq := func(end string) map[string]string {
		return map[string]string{"seed": "1", "fields.v.kind": "sequence", "fields.v.start": "1", "fields.v.end": end}
	}
	for _, c := range []struct {
		from, to map[string]string
		want     string
	}{
		{rows("10"), rows("20"), "the restored position is of a table of 10 rows, the table now is a table of 20 rows"},
		{rows("20"), rows("10"), "a table of 20 rows, the table now is a table of 10 rows"},
		{rows("10"), map[string]string{"seed": "1"}, "the table now is an unbounded table"},
		{map[string]string{"seed": "1"}, rows("10"), "the restored position is of an unbounded table"},
		{seq("10"), seq("30"), "a table of 10 rows, the table now is a table of 30 rows"},
		{seq("10"), rows("10"), ""},
		{rows("10"), rows("10"), ""},
	} {
		s := mk(c.from)
		splits, _ := s.Splits(context.Background())
		_, pos := readSplit(t, s, splits[1], nil, 2)
		_, err := mk(c.to).Open(context.Background(), splits[1], pos)
		if c.want == "" {
			if err != nil {
				t.Errorf("%v -> %v: %v", c.from, c.to, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "restore with the 'number-of-rows'") {
			t.Errorf("%v -> %v: got %v, want %q", c.from, c.to, err, c.want)
		}
	}
}

// A version 1 position (split, splits, seed, rows) restores as before:
// the split continues after its rows; one beyond the end of its split
// (the table was made shorter) is refused, no longer taken as the end.
func TestRestoreVersion1(t *testing.T) {
	mk := func(n string) *source {
		return fixture{schema: schema(t, "v BIGINT"), opts: map[string]string{"seed": "1", "number-of-rows": n}, par: 2}.source(t)
	}
	s := mk("20")
	splits, _ := s.Splits(context.Background())
	whole, _ := readSplit(t, s, splits[1], nil, 100)
	v1 := encodePosition(position{version: 1, split: 1, splits: 2, seed: 1, rows: 4})
	rest, _ := readSplit(t, s, splits[1], v1, 100)
	if !slices.Equal(rowStrings(rest), rowStrings(whole[4:])) {
		t.Fatalf("restored from a version 1 position:\n%v\nwant\n%v", rowStrings(rest), rowStrings(whole[4:]))
	}
	v1 = encodePosition(position{version: 1, split: 1, splits: 2, seed: 1, rows: 8})
	if _, err := mk("10").Open(context.Background(), splits[1], v1); err == nil || !strings.Contains(err.Error(), "8 rows into the split, which now has 5") {
		t.Fatalf("a version 1 position beyond its split: %v", err)
	}
}

// Projected rows have the values of the whole rows.
func TestProjection(t *testing.T) {
	sch := schema(t, "a BIGINT", "r ROW<x INT, y STRING>", "c AS a + 1", "s STRING")
	opts := map[string]string{"seed": "4", "number-of-rows": "30", "fields.s.null-rate": "0.5"}
	whole := readAll(t, fixture{schema: sch, opts: opts}.source(t), 100)
	proj := readAll(t, fixture{schema: sch, opts: opts, fields: [][]int{{3}, {1, 1}, {0}, {3}}}.source(t), 100)
	if len(whole) != 30 || len(proj) != 30 {
		t.Fatalf("%d and %d rows", len(whole), len(proj))
	}
	for i := range whole {
		w, p := whole[i].Fields, proj[i].Fields
		if len(p) != 4 || !p[0].Equal(w[3]) && !(p[0].IsNull() && w[3].IsNull()) || !p[1].Equal(w[1].Elems()[1]) ||
			!p[2].Equal(w[0]) || !w[2].IsNull() {
			t.Fatalf("row %d: projected %v of %v", i, proj[i], whole[i])
		}
	}
	if _, err := TableFactory().ProjectedTableSource(context.Background(), fixture{schema: sch, opts: opts}.ctx(), [][]int{{0, 1}}); err == nil {
		t.Fatal("a field of a BIGINT column")
	}
}

// rows-per-second paces the source on the wall clock, shared by the
// splits, from when a reader opens.
func TestRowsPerSecond(t *testing.T) {
	w := &fakeWall{t: time.Unix(1000, 0)}
	s := fixture{schema: schema(t, "v INT"), opts: map[string]string{"rows-per-second": "20"}, par: 2}.source(t)
	s.wallNow = w.now
	splits, _ := s.Splits(context.Background())
	r, err := s.Open(context.Background(), splits[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]table.Row, 100)
	read := func() int {
		n, err := r.Read(context.Background(), buf)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := read(); n != 1 { // the first row at once
		t.Fatalf("at open: %d rows", n)
	}
	if n := read(); n != 0 { // 10 rows/s for this split: the next after 100 ms
		t.Fatalf("before the next is due: %d rows", n)
	}
	w.t = w.t.Add(time.Second)
	if n := read(); n != 10 {
		t.Fatalf("after 1 s: %d rows, want 10", n)
	}
	w.t = w.t.Add(250 * time.Millisecond)
	if n := read(); n != 2 {
		t.Fatalf("after 1.25 s: %d rows, want 2 more", n)
	}
	// A wait for the rate limit cut short by the end of the context is
	// nothing available, not an error (which would make a cancelled job
	// a failed one).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := r.Read(ctx, buf); n != 0 || err != nil {
		t.Fatalf("a cancelled wait: %d, %v", n, err)
	}
}

// After a stall (the reader not read for a minute) the rate limit owes at
// most a second of rows: the next Read returns those, not the minute's,
// and the pace goes on from there.
func TestRowsPerSecondAfterStall(t *testing.T) {
	w := &fakeWall{t: time.Unix(1000, 0)}
	s := fixture{schema: schema(t, "v INT"), opts: map[string]string{"rows-per-second": "10"}, par: 1}.source(t)
	s.wallNow = w.now
	splits, _ := s.Splits(context.Background())
	r, err := s.Open(context.Background(), splits[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]table.Row, 1000)
	read := func() int {
		n, err := r.Read(context.Background(), buf)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := read(); n != 1 {
		t.Fatalf("at open: %d rows", n)
	}
	w.t = w.t.Add(time.Minute)
	if n := read(); n != 10 {
		t.Fatalf("after a stall of a minute at 10 rows/s: %d rows, want 10", n)
	}
	if n := read(); n != 0 {
		t.Fatalf("right after: %d rows", n)
	}
	w.t = w.t.Add(500 * time.Millisecond)
	if n := read(); n != 5 {
		t.Fatalf("0.5 s later: %d rows, want 5", n)
	}
	w.t = w.t.Add(2 * time.Second)
	if n := read(); n != 10 { // again at most a second owed
		t.Fatalf("2 s later: %d rows, want 10", n)
	}
}

func TestAllowsOption(t *testing.T) {
	f := TableFactory()
	for k, want := range map[string]bool{"fields.a.kind": true, "fields.a.b.min": true, "fields.a.null-rate": true,
		"fields.a.foo": false, "fields.kind": false, "field.a.kind": false, "rows-per-second": false} {
		if got := f.AllowsOption(k); got != want {
			t.Errorf("AllowsOption(%q) = %v", k, got)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		cols []string
		opts map[string]string
		want string
	}{
		{[]string{"a INT"}, map[string]string{"rows-per-sec": "1"}, "unknown option 'rows-per-sec' (allowed: "},
		{[]string{"a INT"}, map[string]string{"fields.b.min": "1"}, "unknown option 'fields.b.min': the table has no column 'b' (columns: a)"},
		{[]string{"a INT"}, map[string]string{"fields.a.minimum": "1"}, "unknown option 'fields.a.minimum': 'minimum' is not a per-column option"},
		{[]string{"a INT"}, map[string]string{"fields.a.mx": "1"}, "; did you mean 'fields.a.max'?"},
		{[]string{"id INT", "price INT"}, map[string]string{"fields.prize.min": "1"}, "(columns: id, price); did you mean 'fields.price.min'?"},
		{[]string{"r ROW<x INT>"}, map[string]string{"fields.q.min": "1"}, "(columns: r)"},
		{[]string{"a INT"}, map[string]string{"fields.a": "1"}, "unknown option 'fields.a': per-column options are"},
		{[]string{"a INT", "c AS a"}, map[string]string{"fields.c.min": "1"}, "column 'c' is computed (AS a)"},
		{[]string{"a INT"}, map[string]string{"fields.a.kind": "sequence"}, "column 'a' is a sequence without option 'fields.a.start'"},
		{[]string{"a INT"}, map[string]string{"fields.a.kind": "sequence", "fields.a.start": "1"}, "without option 'fields.a.end'"},
		{[]string{"a INT"}, map[string]string{"fields.a.kind": "sequence", "fields.a.start": "5", "fields.a.end": "1"}, "sequence 'start' 5 is greater than 'end' 1"},
		{[]string{"a INT"}, map[string]string{"fields.a.min": "5", "fields.a.max": "1"}, "column 'a': 'min' 5 is greater than 'max' 1"},
		{[]string{"a DOUBLE"}, map[string]string{"fields.a.min": "5", "fields.a.max": "1"}, "column 'a': 'min' 5 is greater than 'max' 1"},
		{[]string{"a DECIMAL(4, 1)"}, map[string]string{"fields.a.min": "5", "fields.a.max": "1"}, "'min' 5 is greater than 'max' 1"},
		{[]string{"a DECIMAL(4, 1)"}, map[string]string{"fields.a.max": "1000"}, "want a number that fits DECIMAL(4, 1)"},
		{[]string{"a TINYINT"}, map[string]string{"fields.a.max": "300"}, "'fields.a.max' is '300': want an integer in [-128, 127]"},
		{[]string{"a BOOLEAN"}, map[string]string{"fields.a.kind": "sequence", "fields.a.start": "1", "fields.a.end": "2"}, "the sequence generator takes TINYINT"},
		{[]string{"a TIMESTAMP(3)"}, map[string]string{"fields.a.kind": "sequence", "fields.a.start": "1", "fields.a.end": "2"}, "(column 'a' is TIMESTAMP(3))"},
		{[]string{"a INT"}, map[string]string{"fields.a.kind": "counter"}, "'fields.a.kind' is 'counter': want 'random' or 'sequence'"},
		{[]string{"a STRING"}, map[string]string{"fields.a.min": "1"}, "'min' and 'max' apply to numeric columns"},
		{[]string{"a INT"}, map[string]string{"fields.a.max-past": "1 s"}, "'max-past' applies to TIMESTAMP and TIMESTAMP_LTZ columns"},
		{[]string{"a TIMESTAMP(3)"}, map[string]string{"fields.a.max-past": "soon"}, "want a duration"},
		{[]string{"a INT"}, map[string]string{"fields.a.length": "3"}, "'length' applies to strings"},
		{[]string{"a CHAR(3)"}, map[string]string{"fields.a.length": "2"}, "the length of a fixed-length type (CHAR, BINARY) is the schema's"},
		{[]string{"a VARCHAR(3)"}, map[string]string{"fields.a.length": "5"}, "longer than the 3 of the schema's VARCHAR(3)"},
		{[]string{"a STRING"}, map[string]string{"fields.a.length": "2000000"}, "want an integer in [0, 1048576]"},
		{[]string{"a INT"}, map[string]string{"fields.a.var-len": "true"}, "'var-len' applies to variable-length types"},
		{[]string{"a STRING"}, map[string]string{"fields.a.var-len": "yes"}, "want 'true' or 'false'"},
		{[]string{"a INT"}, map[string]string{"fields.a.start": "1"}, "applies to 'sequence' fields"},
		{[]string{"a INT"}, map[string]string{"fields.a.kind": "sequence", "fields.a.start": "1", "fields.a.end": "2", "fields.a.min": "1"}, "applies to 'random' fields"},
		{[]string{"a VARCHAR(3)"}, map[string]string{"fields.a.kind": "sequence", "fields.a.start": "1", "fields.a.end": "1000"}, "'1000' is longer than the 3 characters of VARCHAR(3)"},
		{[]string{"a INT"}, map[string]string{"fields.a.null-rate": "1.5"}, "want a number in [0, 1]"},
		{[]string{"a FLOAT"}, map[string]string{"fields.a.kind": "sequence", "fields.a.start": "1e39", "fields.a.end": "1e39"}, "'fields.a.start' is '1e39': want a finite number of type FLOAT"},
		{[]string{"a FLOAT"}, map[string]string{"fields.a.kind": "sequence", "fields.a.start": "0", "fields.a.end": "-1e39"}, "'fields.a.end' is '-1e39': want a finite number of type FLOAT"},
		{[]string{"a FLOAT"}, map[string]string{"fields.a.max": "1e39"}, "'fields.a.max' is '1e39': want a finite number of type FLOAT"},
		{[]string{"a INT NOT NULL"}, map[string]string{"fields.a.null-rate": "0.5"}, "column 'a' is NOT NULL"},
		{[]string{"r ROW<x INT>"}, map[string]string{"fields.r.x.kind": "sequence", "fields.r.x.start": "1", "fields.r.x.end": "2"}, "a sequence generates a column, not a field of a ROW"},
		{[]string{"r ROW<x INT>"}, map[string]string{"fields.r.y.min": "1"}, "the table has no column 'r.y'"},
		{[]string{"a INT"}, map[string]string{"number-of-rows": "-1"}, "option 'number-of-rows' is '-1'"},
		{[]string{"a INT"}, map[string]string{"rows-per-second": "0"}, "option 'rows-per-second' is '0'"},
		{[]string{"a INT"}, map[string]string{"seed": "x"}, "option 'seed' is 'x', want an integer"},
		{[]string{"a INT"}, map[string]string{"scan.parallelism": "0"}, "option 'scan.parallelism' is '0'"},
	} {
		_, err := TableFactory().TableSource(context.Background(), fixture{schema: schema(t, c.cols...), opts: c.opts}.ctx())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: got %v, want %q", c.cols, c.opts, err, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), `strom: table "t": connector 'datagen': `) {
			t.Errorf("%v: error without the table: %v", c.opts, err)
		}
	}
}

func FuzzDecodePosition(f *testing.F) {
	f.Add(encodePosition(position{version: 2, split: 1, splits: 2, seed: 3, rows: 4}))
	f.Add(encodePosition(position{version: 2, split: 0, splits: 1, seed: math.MaxUint64, rows: math.MaxUint64}))
	f.Add(encodePosition(position{version: 2, split: 2, splits: 3, seed: 5, bounded: true, total: 100, rows: 10}))
	f.Add(encodePosition(position{version: 1, split: 1, splits: 2, seed: 3, rows: 4}))
	f.Add([]byte{1, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePosition(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("an error that is not ErrCorrupt: %v", err)
			}
			return
		}
		if p.split >= p.splits || !p.bounded && p.total != 0 || !slices.Equal(encodePosition(p), b) {
			t.Fatalf("%x decodes to %+v, which encodes otherwise", b, p)
		}
		if lo, hi := splitRange(p.total, p.split, p.splits); p.bounded && p.rows > hi-lo {
			t.Fatalf("%x decodes to %+v, more rows than its split has", b, p)
		}
	})
}

func FuzzDecodeSplit(f *testing.F) {
	f.Add(encodeSplit(0, 1))
	f.Add(encodeSplit(300, 301))
	f.Fuzz(func(t *testing.T, b []byte) {
		i, k, err := decodeSplit(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("an error that is not ErrCorrupt: %v", err)
			}
			return
		}
		if i >= k || !slices.Equal(encodeSplit(i, k), b) {
			t.Fatalf("%x decodes to %d of %d, which encodes otherwise", b, i, k)
		}
	})
}

// A column's values depend on its name, not its place: adding a column
// before it keeps them.
func TestValuesFollowTheColumnName(t *testing.T) {
	opts := map[string]string{"seed": "5", "number-of-rows": "20"}
	a := readAll(t, fixture{schema: schema(t, "v BIGINT", "s STRING"), opts: opts}.source(t), 100)
	b := readAll(t, fixture{schema: schema(t, "x INT", "s STRING", "c AS x", "v BIGINT"), opts: opts}.source(t), 100)
	for i := range a {
		if !a[i].Fields[0].Equal(b[i].Fields[3]) || !a[i].Fields[1].Equal(b[i].Fields[1]) {
			t.Fatalf("row %d: %v and %v", i, a[i], b[i])
		}
	}
	if a[0].Fields[0].Equal(b[0].Fields[0]) {
		t.Fatal("columns v and x have equal values")
	}
}

// After ReuseRecords a Read builds its rows in the fields of the rows of
// the Read before, with the values a fresh reader gives.
func TestReuseRecords(t *testing.T) {
	f := fixture{schema: schema(t, "a BIGINT", "s STRING", "r ROW<x INT>"), opts: map[string]string{"seed": "8", "number-of-rows": "40", "fields.s.null-rate": "0.5"}}
	want := rowStrings(readAll(t, f.source(t), 100))
	s := f.source(t)
	splits, _ := s.Splits(context.Background())
	rd, err := s.Open(context.Background(), splits[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	rd.(connector.RecordReuser).ReuseRecords()
	buf := make([]table.Row, 8)
	var got []string
	var first *table.Value
	for {
		n, err := rd.Read(context.Background(), buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 8 {
			if first == nil {
				first = &buf[0].Fields[0]
			} else if first != &buf[0].Fields[0] {
				t.Fatal("a Read after ReuseRecords allocated new rows")
			}
		}
		got = append(got, rowStrings(buf[:n])...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("reused rows:\n%v\nwant\n%v", got, want)
	}
}
