package planner

import (
	"fmt"
	"testing"

	"github.com/stromio/strom/table"
)

// TestMatStep: the SinkMaterializer's rule (Flink's SinkUpsertMaterializer)
// over the arrival orders of a key's changes.
func TestMatStep(t *testing.T) {
	type step struct {
		kind table.RowKind
		row  string
		want string // emitted: "" nothing, else kind and row
	}
	cases := []struct {
		name  string
		steps []step
		left  int
		uk    bool // rows are the same when their first bytes are (an upsert key)
	}{
		{"in order", []step{{table.Insert, "a", "+I a"}, {table.Delete, "a", "-D a"}, {table.Insert, "b", "+I b"}}, 1, false},
		// The -D of the old row after the +I of the new: the key keeps b.
		{"retract late", []step{{table.Insert, "a", "+I a"}, {table.Insert, "b", "+U b"}, {table.Delete, "a", ""}}, 1, false},
		// The last row retracted: the one before becomes current again.
		{"last retracted", []step{{table.Insert, "a", "+I a"}, {table.UpdateAfter, "b", "+U b"}, {table.UpdateBefore, "b", "+U a"}}, 1, false},
		// Equal rows: the first is removed, one is left.
		{"duplicates", []step{{table.Insert, "a", "+I a"}, {table.Insert, "a", "+U a"}, {table.Delete, "a", ""}, {table.Delete, "a", "-D a"}}, 0, false},
		// A retraction of a row not among the key's rows emits nothing.
		{"unknown", []step{{table.Insert, "a", "+I a"}, {table.Delete, "x", ""}}, 1, false},
		// No row kept for the key (TTL, a savepoint from before the
		// operator, a non-deterministic column): the -D goes on.
		{"none kept", []step{{table.Delete, "x", "-D x"}}, 0, false},
		{"none kept -U", []step{{table.UpdateBefore, "x", "-D x"}, {table.UpdateAfter, "y", "+I y"}}, 1, false},
		// By an upsert key: a retraction whose other columns differ (a
		// non-deterministic column) still finds its row.
		{"upsert key", []step{{table.Insert, "1a", "+I 1a"}, {table.Insert, "2a", "+U 2a"}, {table.Delete, "2b", "+U 1a"}, {table.Delete, "1c", "-D 1c"}}, 0, true},
		// A +U replaces its upsert key's row: it stays a +U.
		{"upsert key replace", []step{{table.Insert, "1a", "+I 1a"}, {table.UpdateAfter, "1b", "+U 1b"}, {table.UpdateBefore, "1x", "-D 1x"}}, 0, true},
		{"upsert key not last", []step{{table.Insert, "1a", "+I 1a"}, {table.Insert, "2a", "+U 2a"}, {table.Delete, "1x", ""}}, 1, true},
	}
	for _, c := range cases {
		var rows [][]byte
		for i, s := range c.steps {
			var emit int
			var kind table.RowKind
			var same func([]byte) bool
			if c.uk {
				same = func(kept []byte) bool { return kept[0] == s.row[0] }
			}
			rows, emit, kind = matStep(rows, s.kind, []byte(s.row), same)
			got := ""
			switch {
			case emit < 0:
			case emit == len(rows) || s.kind.IsAccumulate():
				got = fmt.Sprintf("%s %s", kind, s.row)
			default:
				got = fmt.Sprintf("%s %s", kind, rows[emit])
			}
			if got != s.want {
				t.Errorf("%s: step %d (%s %s): emitted %q, want %q", c.name, i, s.kind, s.row, got, s.want)
			}
		}
		if len(rows) != c.left {
			t.Errorf("%s: %d rows kept, want %d", c.name, len(rows), c.left)
		}
	}
}

// TestMatState: the state round-trips; a flipped bit, a truncation or
// another version is refused.
func TestMatState(t *testing.T) {
	rows := [][]byte{[]byte("one"), {}, []byte("three")}
	b := encodeMatState(rows)
	got, err := decodeMatState(b)
	if err != nil || len(got) != 3 || string(got[0]) != "one" || len(got[1]) != 0 || string(got[2]) != "three" {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	for i := range b {
		c := append([]byte(nil), b...)
		c[i] ^= 0x10
		if _, err := decodeMatState(c); err == nil {
			t.Errorf("byte %d flipped: accepted", i)
		}
	}
	for n := range len(b) {
		if _, err := decodeMatState(b[:n]); err == nil {
			t.Errorf("truncated to %d bytes: accepted", n)
		}
	}
}
