package planner

import (
	"errors"
	"testing"

	"github.com/stromio/strom/table"
)

// TestDecodeCache: a hit gives the row decoded from exactly those bytes
// (not the row of other bytes, not a row aliasing the bytes looked up),
// bytes that do not decode give the error and are not cached, and the
// cache starts over past rowCacheMax entries.
func TestDecodeCache(t *testing.T) {
	rc := table.NewRowCodecTypes(table.BigIntType(), table.StringType())
	decodes := 0
	c := newDecodeCache(func(b []byte) (table.Row, error) { decodes++; return rc.Decode(b) })
	enc := func(i int64, s string) []byte {
		b, err := rc.AppendRow(nil, table.Row{Fields: []table.Value{table.Int(i), table.Str(s)}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := enc(1, "one"), enc(2, "two")
	for round := range 3 {
		ra, err := c.get(a)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := c.get(b)
		if err != nil {
			t.Fatal(err)
		}
		if ra.Fields[0].AsInt() != 1 || ra.Fields[1].AsString() != "one" || rb.Fields[0].AsInt() != 2 || rb.Fields[1].AsString() != "two" {
			t.Fatalf("round %d: got %v and %v", round, ra, rb)
		}
	}
	if decodes != 2 {
		t.Fatalf("%d decodes for 2 distinct byte strings read 3 times each, want 2", decodes)
	}
	// The key is a copy: the caller's bytes (borrowed from state) change.
	buf := append([]byte(nil), a...)
	if _, err := c.get(buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, b)
	r, err := c.get(buf)
	if err != nil || r.Fields[1].AsString() != "two" {
		t.Fatalf("bytes changed in place after a lookup: got %v, %v, want the row 'two'", r, err)
	}
	if _, err := c.get([]byte{0xff, 1, 2}); !errors.Is(err, table.ErrCorrupt) {
		t.Fatalf("corrupt bytes: got %v, want ErrCorrupt", err)
	}
	if _, ok := c.m[string([]byte{0xff, 1, 2})]; ok {
		t.Fatal("a failed decode was cached")
	}
	// Bytes past rowCacheEntryMax are decoded, not kept; the keys' bytes
	// stay under rowCacheBytes.
	big := make([]byte, rowCacheEntryMax+1)
	c.put(big, table.Row{})
	if _, ok := c.m[string(big)]; ok {
		t.Fatalf("an entry of %d bytes was cached", len(big))
	}
	mid := make([]byte, rowCacheEntryMax)
	for i := range 2 * rowCacheBytes / rowCacheEntryMax {
		mid[0], mid[1] = byte(i), byte(i>>8)
		c.put(mid, table.Row{})
		if c.size > rowCacheBytes {
			t.Fatalf("%d bytes of keys, bound %d", c.size, rowCacheBytes)
		}
	}
	for i := range rowCacheMax + 10 {
		if _, err := c.get(enc(int64(i), "x")); err != nil {
			t.Fatal(err)
		}
		if len(c.m) > rowCacheMax {
			t.Fatalf("%d entries, bound %d", len(c.m), rowCacheMax)
		}
	}
}
