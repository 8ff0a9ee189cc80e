package state

import (
	"bytes"
	"fmt"
	"maps"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/stromio/strom/internal/base"
)

// TestHeapTailsMatchCopies: the same random puts, appends (long values,
// so that values outgrow their capacity and continue in chunks:
// heaptail.go, with tailMin lowered), deletes, reads and snapshots (full
// and incremental, serialised later, after more mutations, or at once) on
// a heap with chunked appends and on one that grows every value by a copy
// (Heap.noTails, the path before chunks). Every snapshot must serialise to
// the same bytes on both (AppendGroup and AppendDelta), and to what the
// model held when it was taken: a snapshot taken before an append does
// not see the appended bytes. Reads, sizes and lengths agree too. Keys
// have at most 6 subs (the slice layout, whose serialisation is ordered;
// a key with more subs is in a map, iterated in random order).
func TestHeapTailsMatchCopies(t *testing.T) {
	defer func(m int) { tailMin = m }(tailMin)
	rapid.Check(t, func(t *rapid.T) {
		tailMin = rapid.SampledFrom([]int{1, 8, 64}).Draw(t, "tailMin")
		kgs := base.KeyGroupRange{Start: 0, End: 3}
		got, want := NewHeap(kgs), NewHeap(kgs)
		want.noTails = true
		names := []string{"a", "b"}
		keys := []string{"a", "b", strings.Repeat("k", 28), strings.Repeat("l", 60)}
		model := map[string]string{}
		id := func(tb string, kg int, k, s string) string { return fmt.Sprintf("%s|%d|%s|%s", tb, kg, k, s) }
		type pend struct {
			g, w  *HeapSnapshot
			model map[string]string
		}
		var pending []pend
		serialise := func(p pend) {
			for kg := kgs.Start; kg < kgs.End; kg++ {
				gb, wb := p.g.AppendGroup(nil, kg), p.w.AppendGroup(nil, kg)
				if !bytes.Equal(gb, wb) {
					t.Fatalf("key group %d: snapshot bytes differ\n got %q\nwant %q", kg, gb, wb)
				}
				if p.g.HasDelta() != p.w.HasDelta() {
					t.Fatalf("HasDelta %v, want %v", p.g.HasDelta(), p.w.HasDelta())
				}
				if p.g.HasDelta() {
					gd, wd := p.g.AppendDelta(nil, kg), p.w.AppendDelta(nil, kg)
					if !bytes.Equal(gd, wd) {
						t.Fatalf("key group %d: delta bytes differ\n got %q\nwant %q", kg, gd, wd)
					}
				}
			}
			if c, m := decodeSnapshot(t, p.g, kgs), p.model; fmt.Sprint(sorted(c)) != fmt.Sprint(sorted(m)) {
				t.Fatalf("snapshot\n got %v\nwant %v", sorted(c), sorted(m))
			}
			p.g.Release()
			p.w.Release()
		}
		for i := range rapid.IntRange(1, 300).Draw(t, "ops") {
			name := rapid.SampledFrom(names).Draw(t, fmt.Sprint("t", i))
			gt, wt := got.Table(name), want.Table(name)
			kg := rapid.IntRange(kgs.Start, kgs.End-1).Draw(t, fmt.Sprint("kg", i))
			k := []byte(rapid.SampledFrom(keys).Draw(t, fmt.Sprint("k", i)))
			sub := fmt.Sprint(rapid.IntRange(0, 5).Draw(t, fmt.Sprint("s", i)))
			if rapid.IntRange(0, 3).Draw(t, fmt.Sprint("nosub", i)) > 0 {
				sub = "" // mostly a list state's one sub
			}
			v := []byte(rapid.StringN(0, 40, -1).Draw(t, fmt.Sprint("v", i)))
			x := id(name, kg, string(k), sub)
			switch rapid.IntRange(0, 11).Draw(t, fmt.Sprint("op", i)) {
			case 0:
				gt.Put(kg, k, []byte(sub), v)
				wt.Put(kg, k, []byte(sub), v)
				model[x] = string(v)
			case 1, 2, 3, 4, 5:
				for range rapid.IntRange(1, 20).Draw(t, fmt.Sprint("n", i)) {
					gt.Append(kg, k, []byte(sub), v)
					wt.Append(kg, k, []byte(sub), v)
					model[x] += string(v)
				}
			case 6:
				gt.Delete(kg, k, []byte(sub))
				wt.Delete(kg, k, []byte(sub))
				delete(model, x)
			case 7:
				gt.DeleteKey(kg, k)
				wt.DeleteKey(kg, k)
				prefix := id(name, kg, string(k), "")
				for mk := range model {
					if strings.HasPrefix(mk, prefix) {
						delete(model, mk)
					}
				}
			case 8:
				gv, gok := gt.Get(kg, k, []byte(sub))
				wv, wok := wt.Get(kg, k, []byte(sub))
				mv, mok := model[x]
				if gok != wok || gok != mok || string(gv) != string(wv) || string(gv) != mv {
					t.Fatalf("Get %s: %q %v, want %q %v (model %q %v)", x, gv, gok, wv, wok, mv, mok)
				}
			case 9:
				var gs, ws []string
				gt.ScanKey(kg, k, func(s, v []byte) bool { gs = append(gs, string(s)+"="+string(v)); return true })
				wt.ScanKey(kg, k, func(s, v []byte) bool { ws = append(ws, string(s)+"="+string(v)); return true })
				if fmt.Sprint(gs) != fmt.Sprint(ws) {
					t.Fatalf("ScanKey %s: %q, want %q", x, gs, ws)
				}
			case 10:
				incr := rapid.Bool().Draw(t, fmt.Sprint("incr", i))
				var p pend
				if incr {
					p = pend{got.SnapshotIncremental(), want.SnapshotIncremental(), maps.Clone(model)}
				} else {
					p = pend{got.Snapshot(), want.Snapshot(), maps.Clone(model)}
				}
				if rapid.Bool().Draw(t, fmt.Sprint("now", i)) {
					serialise(p)
				} else {
					pending = append(pending, p)
				}
			case 11:
				if len(pending) > 0 {
					j := rapid.IntRange(0, len(pending)-1).Draw(t, fmt.Sprint("p", i))
					serialise(pending[j])
					pending = append(pending[:j], pending[j+1:]...)
				}
			}
			if got.SizeBytes() != want.SizeBytes() || gt.Len() != wt.Len() {
				t.Fatalf("size %d len %d, want %d %d", got.SizeBytes(), gt.Len(), want.SizeBytes(), wt.Len())
			}
		}
		for _, p := range pending {
			serialise(p)
		}
		// ScanGroup and the eager serialisation see the tails too.
		for kg := kgs.Start; kg < kgs.End; kg++ {
			for _, name := range names {
				var gs, ws []string
				got.Table(name).ScanGroup(kg, func(k, s, v []byte) bool { gs = append(gs, string(k)+"|"+string(s)+"="+string(v)); return true })
				want.Table(name).ScanGroup(kg, func(k, s, v []byte) bool { ws = append(ws, string(k)+"|"+string(s)+"="+string(v)); return true })
				if fmt.Sprint(gs) != fmt.Sprint(ws) {
					t.Fatalf("ScanGroup %s %d: %q, want %q", name, kg, gs, ws)
				}
			}
			if g, w := AppendGroup(nil, got, kg), AppendGroup(nil, want, kg); !bytes.Equal(g, w) {
				t.Fatalf("AppendGroup %d differs", kg)
			}
		}
	})
}

// TestHeapTailEagerGroup: the eager serialisation (AppendGroup of the
// backend itself) of a value with a tail is its whole bytes.
func TestHeapTailEagerGroup(t *testing.T) {
	defer func(m int) { tailMin = m }(tailMin)
	tailMin = 4
	h := NewHeap(base.KeyGroupRange{Start: 0, End: 1})
	tb := h.Table("l")
	var want []byte
	for i := range 5000 {
		v := fmt.Appendf(nil, "element %d;", i)
		tb.Append(0, []byte("k"), nil, v)
		want = append(want, v...)
	}
	if len(tb.(*heapTable).tails) != 1 {
		t.Fatalf("no tail: %d", len(tb.(*heapTable).tails))
	}
	r := NewHeap(base.KeyGroupRange{Start: 0, End: 1})
	if err := RestoreGroup(r, 0, AppendGroup(nil, h, 0)); err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Table("l").Get(0, []byte("k"), nil); !bytes.Equal(v, want) {
		t.Fatalf("restored %d bytes, want %d", len(v), len(want))
	}
	if h.SizeBytes() != r.SizeBytes() {
		t.Fatalf("size %d, restored %d", h.SizeBytes(), r.SizeBytes())
	}
}
