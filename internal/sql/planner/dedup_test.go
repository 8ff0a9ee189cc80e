package planner

import (
	"errors"
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

// TestDedupState: the Deduplicate's state value round-trips (the time
// read without decoding the row, the row decoded for a -U), and a value
// with a flipped byte, another layout version or no row where one is
// needed is refused as corrupt, not misread.
func TestDedupState(t *testing.T) {
	rc := table.NewRowCodecTypes(table.StringType(), table.BigIntType(), table.TimestampType(3))
	row := table.Row{Fields: []table.Value{table.Str("k"), table.Int(7), table.Timestamp(1234, 0)}}
	c := dedupCodec{rc: rc}
	b := c.Append([]byte("prefix"), dedupVal{row: &row, millis: 1234})[len("prefix"):]
	v, err := c.Decode(b)
	if err != nil || v.null || v.millis != 1234 || v.nanos != 0 {
		t.Fatalf("decode: %+v %v", v, err)
	}
	r, err := v.oldRow(rc, table.UpdateBefore)
	if err != nil || r.Kind != table.UpdateBefore || !(table.Row{Fields: r.Fields}).Equal(row) {
		t.Fatalf("old row: %v %v", r, err)
	}
	for i := range b {
		bad := append([]byte(nil), b...)
		bad[i] ^= 0x10
		if _, err := c.Decode(bad); !errors.Is(err, errDedupState) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	v2 := append([]byte{2}, b[1:]...)
	if _, err := c.Decode(v2); err == nil || !strings.Contains(err.Error(), "layout version 2") {
		t.Fatalf("version 2: %v", err)
	}
	if _, err := c.Decode(b[:5]); !errors.Is(err, errDedupState) {
		t.Fatalf("short: %v", err)
	}
	// Keep-first by processing time keeps no row: a -U from it is an
	// error (a savepoint of another mode would be; the UIDs differ).
	marker := c.Append(nil, dedupVal{null: true})
	v, err = c.Decode(marker)
	if err != nil || !v.null {
		t.Fatalf("marker: %+v %v", v, err)
	}
	if _, err := v.oldRow(rc, table.UpdateBefore); !errors.Is(err, errDedupState) {
		t.Fatalf("old row of a marker: %v", err)
	}
}

// TestDedupOrder: which time replaces the kept row, by keep mode and
// NULL order (the Top-N's order of one time key; ties go to the new row
// keeping the last).
func TestDedupOrder(t *testing.T) {
	type tm struct {
		null bool
		ms   int64
		ns   uint32
	}
	cases := []struct {
		last, nullsFirst bool
		a, b             tm // a replaces b?
		want             bool
	}{
		{true, false, tm{ms: 2}, tm{ms: 1}, true},
		{true, false, tm{ms: 1}, tm{ms: 1}, true}, // tie: the new row
		{true, false, tm{ms: 1, ns: 5}, tm{ms: 1, ns: 6}, false},
		{true, false, tm{ms: 0}, tm{ms: 1}, false}, // older: dropped
		{true, false, tm{null: true}, tm{ms: 1}, false},
		{true, false, tm{ms: 1}, tm{null: true}, true},
		{true, false, tm{null: true}, tm{null: true}, true},
		{false, true, tm{ms: 0}, tm{ms: 1}, true},
		{false, true, tm{ms: 1}, tm{ms: 1}, false}, // tie: the first row stays
		{false, true, tm{ms: 2}, tm{ms: 1}, false},
		{false, true, tm{null: true}, tm{ms: 1}, true},
		{false, true, tm{ms: 1}, tm{null: true}, false},
		{false, true, tm{null: true}, tm{null: true}, false},
	}
	for i, c := range cases {
		x := &Deduplicate{KeepLast: c.last, NullsFirst: c.nullsFirst}
		if got := x.replaces(c.a.null, c.a.ms, c.a.ns, c.b.null, c.b.ms, c.b.ns); got != c.want {
			t.Errorf("case %d: %+v replaces %+v = %t, want %t", i, c.a, c.b, got, c.want)
		}
	}
}

// TestDedupRowsNotFresh: the mini-batch Deduplicate emits a row replaced
// within a bundle as its +U and again, the same fields, as the next
// replacement's -U (dedup_batch.go's fold). That holds only while no
// consumer writes its rows in place: a Calc does so only over an operator
// that freshRows names, which a Deduplicate must not be.
func TestDedupRowsNotFresh(t *testing.T) {
	if freshRows(&Deduplicate{}) {
		t.Fatal("freshRows(Deduplicate): a Calc over it would write into rows the fold emits twice")
	}
}
