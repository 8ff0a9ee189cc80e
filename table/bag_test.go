package table

import (
	"fmt"
	"strings"
	"testing"
)

func bagRows(b *Bag) string {
	var out []string
	b.Each(func(r string) bool { out = append(out, r); return true })
	return strings.Join(out, " ")
}

func TestBagAppliesChangelog(t *testing.T) {
	var b Bag
	b.Apply(Insert, "a1")
	b.Apply(Insert, "b2")
	b.Apply(UpdateBefore, "a1")
	b.Apply(UpdateAfter, "a4") // takes a1's place
	b.Apply(Insert, "c3")
	b.Apply(Insert, "c3")
	b.Apply(Delete, "c3") // one of two equal rows
	b.Apply(Delete, "zz") // not held
	if got := bagRows(&b); got != "a4 b2 c3" || b.Len() != 3 || b.Missing() != 1 {
		t.Fatalf("rows %q, len %d, missing %d", got, b.Len(), b.Missing())
	}
	b.Apply(UpdateBefore, "b2")
	b.Apply(Insert, "x") // not a +U: the freed place is not taken
	b.Apply(UpdateAfter, "b5")
	if got := bagRows(&b); got != "a4 c3 x b5" {
		t.Fatalf("rows %q", got)
	}
	for i := range 200 { // holes are compacted away, order kept
		b.Apply(Insert, fmt.Sprint("n", i))
	}
	for i := range 199 {
		b.Apply(Delete, fmt.Sprint("n", i))
	}
	if got := bagRows(&b); got != "a4 c3 x b5 n199" || len(b.order) > 64+5 {
		t.Fatalf("after compaction (%d places): %q", len(b.order), got)
	}
	var empty Bag // the empty string is a row like any other
	empty.Apply(Insert, "")
	empty.Apply(Insert, "y")
	empty.Apply(Delete, "y")
	if empty.Len() != 1 || bagRows(&empty) != "" {
		t.Fatalf("empty-string row: len %d", empty.Len())
	}
	n := 0
	empty.Each(func(string) bool { n++; return true })
	if n != 1 {
		t.Fatalf("Each gave %d rows, want the empty one", n)
	}
	small := Bag{Max: 2}
	small.Apply(Insert, "a")
	small.Apply(Insert, "b")
	small.Apply(Insert, "c")
	if got := bagRows(&small); got != "a b" || !small.Truncated() {
		t.Fatalf("bounded: %q truncated %v", got, small.Truncated())
	}
}
