package state

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stromio/strom/internal/base"
)

// deltaBytes builds a key group delta by hand: per table its removed keys
// and its entries (key, then sub, value pairs), in the given order, so that
// a key may be both removed and written, or written twice, in one delta.
type handTable struct {
	name    string
	removed []string
	entries [][]string // key, sub, value, sub, value, ...
}

func handDelta(tables ...handTable) []byte {
	b := []byte{groupDeltaVersion, 0, 0, 0, 0, 0}
	putUvarint5(b[1:], uint64(len(tables)))
	for _, t := range tables {
		b = appendString(b, t.name)
		b = binary.AppendUvarint(b, uint64(len(t.removed)))
		for _, k := range t.removed {
			b = appendString(b, k)
		}
		b = binary.AppendUvarint(b, uint64(len(t.entries)))
		for _, e := range t.entries {
			b = appendString(b, e[0])
			b = binary.AppendUvarint(b, uint64((len(e)-1)/2))
			for _, s := range e[1:] {
				b = appendString(b, s)
			}
		}
	}
	return b
}

// TestRestoreChainHand: chains whose deltas overwrite, delete, re-add,
// remove-and-write in one delta, and repeat an entry in one delta, with nil
// links; RestoreChain must give what RestoreGroup link by link gives, and
// the expected state written out by hand.
func TestRestoreChainHand(t *testing.T) {
	kgs := base.KeyGroupRange{Start: 0, End: 1}
	src := NewHeap(kgs)
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		src.Table("t").Put(0, []byte(k), []byte("s1"), []byte("base-"+k))
		src.Table("t").Put(0, []byte(k), []byte("s2"), []byte("base2-"+k))
	}
	src.Table("u").Put(0, []byte("x"), nil, []byte("base-x"))
	links := [][]byte{
		AppendGroup(nil, src, 0),
		handDelta(handTable{name: "t", removed: []string{"a", "b"}, entries: [][]string{{"c", "s1", "d1-c"}}}),
		nil,
		handDelta(handTable{name: "t", removed: []string{"b"}, entries: [][]string{{"a", "s9", "d3-a"}, {"b", "s1", "d3-b"}, {"d", "s1", "d3-d-first"}, {"d", "s2", "d3-d"}}},
			handTable{name: "new", entries: [][]string{{"n", "", "d3-n"}}}),
		handDelta(handTable{name: "u", removed: []string{"x"}}, handTable{name: "t", entries: [][]string{{"e"}}}),
		handDelta(handTable{name: "t", removed: []string{"c"}, entries: [][]string{{"c", "s3", "d5-c"}}}),
	}
	want := map[string]string{
		"t|0|a|s9": "d3-a", // removed, re-added with another sub
		"t|0|b|s1": "d3-b", // removed twice, re-added
		"t|0|c|s3": "d5-c", // overwritten, then removed and written in one delta
		"t|0|d|s2": "d3-d", // written twice in one delta: the later wins
		"new|0|n|": "d3-n", // a table only a delta has
		// e: an entry without subs (deleted); u|x: removed
	}
	seq, fast := NewHeap(kgs), NewHeap(kgs)
	for _, l := range links {
		if l != nil {
			if err := RestoreGroup(seq, 0, l); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := RestoreChain(fast, 0, links); err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]*Heap{"link by link": seq, "RestoreChain": fast} {
		if g, w := fmt.Sprint(sorted(heapContents(h))), fmt.Sprint(sorted(want)); g != w {
			t.Errorf("%s:\n got %s\nwant %s", name, g, w)
		}
	}
	if g, w := fast.SizeBytes(), seq.SizeBytes(); g != w {
		t.Errorf("size estimate %d, link by link %d", g, w)
	}
	// Into a backend that already has entries in the key group, RestoreChain
	// is RestoreGroup link by link (a later Put over them).
	pre := func() *Heap {
		h := NewHeap(kgs)
		h.Table("t").Put(0, []byte("c"), []byte("s7"), []byte("pre"))
		return h
	}
	seq, fast = pre(), pre()
	for _, l := range links {
		if l != nil {
			if err := RestoreGroup(seq, 0, l); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := RestoreChain(fast, 0, links); err != nil {
		t.Fatal(err)
	}
	if g, w := fmt.Sprint(sorted(heapContents(fast))), fmt.Sprint(sorted(heapContents(seq))); g != w {
		t.Errorf("over existing entries:\n got %s\nwant %s", g, w)
	}
	// Every truncation of every link is an error, as with RestoreGroup.
	for i, l := range links {
		for n := 0; n < len(l); n++ {
			bad := append([][]byte(nil), links...)
			bad[i] = l[:n]
			if err := RestoreChain(NewHeap(kgs), 0, bad); err == nil {
				t.Fatalf("link %d truncated to %d of %d bytes accepted", i, n, len(l))
			}
		}
	}
	if err := RestoreChain(NewHeap(base.KeyGroupRange{Start: 1, End: 2}), 0, links); err == nil {
		t.Fatal("key group outside the backend's range accepted")
	}
}
