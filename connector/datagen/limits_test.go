package datagen

import (
	"context"
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
