package datagen

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

// readOne reads the first row of the table (the first Read of one row).
func readOne(t *testing.T, s *source) table.Row {
	t.Helper()
	splits, err := s.Splits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(context.Background(), splits[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]table.Row, 1)
	if n, err := r.Read(context.Background(), buf); n != 1 || err != nil {
		t.Fatalf("read: %d rows, %v", n, err)
	}
	return buf[0]
}

// A MAP drops repeated keys with a hash set: a map of n entries costs
// about n key comparisons (a comparison for each key with an equal hash),
// not n²/2.
func TestMapKeysLinear(t *testing.T) {
	var compares int
	keysEqual = func(a, b table.Value) bool { compares++; return a.Equal(b) }
	defer func() { keysEqual = func(a, b table.Value) bool { return a.Equal(b) } }()

	const n = 8192
	compares = 0
	row := readOne(t, fixture{schema: schema(t, "m MAP<BIGINT, INT>"), opts: map[string]string{"fields.m.length": "8192"}}.source(t))
	if got := len(mapKeys(row.Fields[0])); got != n {
		t.Fatalf("MAP<BIGINT, INT> of %d entries: %d keys", n, got)
	}
	if compares > n/8 { // distinct random BIGINTs: hashes hardly ever collide
		t.Fatalf("MAP of %d distinct keys: %d key comparisons", n, compares)
	}

	// TINYINT keys repeat: at most 256 distinct, each compared with
	// its equal only.
	compares = 0
	row = readOne(t, fixture{schema: schema(t, "m MAP<TINYINT, INT>"), opts: map[string]string{"fields.m.length": "8192"}}.source(t))
	keys := mapKeys(row.Fields[0])
	seen := map[int64]bool{}
	for _, k := range keys {
		if seen[k.AsInt()] {
			t.Fatalf("key %v twice", k)
		}
		seen[k.AsInt()] = true
	}
	if len(keys) < 200 || len(keys) > 256 {
		t.Fatalf("MAP<TINYINT, INT> of 8192 entries: %d keys", len(keys))
	}
	if compares > n {
		t.Fatalf("MAP of %d entries over 256 keys: %d key comparisons", n, compares)
	}
}

func mapKeys(v table.Value) []table.Value {
	k, _ := v.MapEntries()
	return k
}

// A table whose options let a row take more than MaxRowBytes is refused,
// naming the column and the option to lower; the limits of each option
// alone (1 MiB strings, 65536 entries) do not bound a row.
func TestRowBytesLimit(t *testing.T) {
	for _, c := range []struct {
		cols []string
		opts map[string]string
		want string // "" for a table that is taken
	}{
		{[]string{"a ARRAY<VARCHAR(1048576)>"}, map[string]string{"fields.a.length": "65536"},
			"column 'a' alone up to 64.0 GiB"},
		{[]string{"a ARRAY<VARCHAR(1048576)>"}, map[string]string{"fields.a.length": "65536"}, "lower 'fields.a.length'"},
		{[]string{"a ARRAY<VARCHAR(1048576)>"}, map[string]string{"fields.a.length": "8"}, ""},
		{[]string{"a ARRAY<VARCHAR(1048576)>"}, map[string]string{"fields.a.length": "16"}, "lower 'fields.a.length'"},
		{[]string{"m MAP<STRING, ARRAY<STRING>>"}, map[string]string{"fields.m.length": "65536"}, "lower 'fields.m.length'"},
		{[]string{"r ROW<x INT, s STRING>"}, map[string]string{"fields.r.s.length": "1048576"}, ""},
		{[]string{"r ROW<x INT, s ARRAY<STRING>>", "b BIGINT"}, nil, ""},
		// 3^depth: nested arrays of the default size 3.
		{[]string{"a " + strings.Repeat("ARRAY<", 14) + "STRING" + strings.Repeat(">", 14)}, nil, "lower 'fields.a.length'"},
		{[]string{"r ROW<x INT, a ARRAY<VARCHAR(1048576)>>"}, map[string]string{"fields.r.a.length": "100"}, "column 'r' alone up to"},
		{[]string{"r ROW<x INT, a ARRAY<VARCHAR(1048576)>>"}, map[string]string{"fields.r.a.length": "100"}, "lower 'fields.r.a.length'"},
	} {
		_, err := TableFactory().TableSource(context.Background(), fixture{schema: schema(t, c.cols...), opts: c.opts}.ctx())
		if c.want == "" {
			if err != nil {
				t.Errorf("%v %v: %v", c.cols, c.opts, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "above strom's limit of 16.0 MiB a row") {
			t.Errorf("%v %v: got %v, want %q", c.cols, c.opts, err, c.want)
		}
	}
	// Many wide columns: each below the limit, together above it.
	var cols []string
	for i := range 17 {
		cols = append(cols, fmt.Sprintf("c%d CHAR(1048576)", i))
	}
	_, err := TableFactory().TableSource(context.Background(), fixture{schema: schema(t, cols...)}.ctx())
	if err == nil || !strings.Contains(err.Error(), "narrow the type of column 'c0' (CHAR(1048576))") {
		t.Errorf("17 CHAR(1048576) columns: %v", err)
	}
	if _, err := TableFactory().TableSource(context.Background(), fixture{schema: schema(t, cols[:15]...)}.ctx()); err != nil {
		t.Errorf("15 CHAR(1048576) columns: %v", err)
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// A Read stops at about readBytes generated: a buffer of 128 rows with
// 1 MiB strings gets 4 rows (4 MiB), not 128 MiB; a string is allocated
// once (not built in bytes and copied).
func TestReadBytesBounded(t *testing.T) {
	s := fixture{schema: schema(t, "s STRING"), opts: map[string]string{"fields.s.length": "1048576", "number-of-rows": "20"}}.source(t)
	splits, _ := s.Splits(context.Background())
	r, err := s.Open(context.Background(), splits[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]table.Row, 128)
	var n int
	if a := allocated(func() { n, err = r.Read(context.Background(), buf[:1]) }); err != nil || n != 1 || a > 3<<19 {
		t.Fatalf("a Read of one row of a 1 MiB string: %d rows, %v, %d bytes allocated", n, err, a)
	}
	total := 1
	for total < 20 {
		a := allocated(func() { n, err = r.Read(context.Background(), buf) })
		if err != nil || n == 0 || n > readBytes>>20 || a > readBytes+2<<20 {
			t.Fatalf("a Read of 1 MiB strings into %d rows: %d rows, %v, %d bytes allocated", len(buf), n, err, a)
		}
		total += n
	}
	if n, err := r.Read(context.Background(), buf); n != 0 || err != io.EOF {
		t.Fatalf("after 20 rows: %d, %v", n, err)
	}
	// Small rows fill the buffer.
	s = fixture{schema: schema(t, "a BIGINT", "s STRING")}.source(t)
	splits, _ = s.Splits(context.Background())
	r, _ = s.Open(context.Background(), splits[0], nil)
	if n, err := r.Read(context.Background(), buf); n != len(buf) || err != nil {
		t.Fatalf("small rows: %d of %d, %v", n, len(buf), err)
	}
}
