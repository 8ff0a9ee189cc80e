package planner

import (
	"math"
	"math/rand/v2"
	"testing"
)

// stKey is a key of sliceTable in the reference map of its tests.
type stKey struct{ k, end int64 }

// checkTable checks tab against ref: its count, every used slot is an
// entry of ref at its position, and every entry of ref is found.
func checkTable(t *testing.T, tab *sliceTable, ref map[stKey]int, where string) {
	t.Helper()
	if tab.n != len(ref) {
		t.Fatalf("%s: n %d want %d", where, tab.n, len(ref))
	}
	cnt := 0
	for _, s := range tab.slots {
		if s.pos != 0 {
			cnt++
			if want, ok := ref[stKey{s.k, s.end}]; !ok || want != int(s.pos-1) {
				t.Fatalf("%s: stray slot %+v", where, s)
			}
		}
	}
	if cnt != len(ref) {
		t.Fatalf("%s: %d slots used, want %d", where, cnt, len(ref))
	}
	for k, want := range ref {
		if got, ok := tab.get(k.k, k.end); !ok || got != want {
			t.Fatalf("%s: get %v = %d %v want %d", where, k, got, ok, want)
		}
	}
}

// TestSliceTableWrapAround fills a table of 256 slots to just under its
// growth threshold with keys whose home is one of the last 3 slots or the
// first (a cluster that wraps around the end of the array), deletes them
// in random order (the run moved back across the wrap), putting some
// again, and checks the table against a map after each step.
func TestSliceTableWrapAround(t *testing.T) {
	var tab sliceTable
	tab.grow() // 256 slots, shift 56
	// keys whose home is one of the last 3 slots or the first
	var keys []stKey
	for k := int64(math.MinInt64); len(keys) < 191; k += 0x1234567890abcd {
		for _, end := range []int64{math.MinInt64, -2000, 0, 2000, math.MaxInt64} {
			h := tab.home(k, end)
			if (h >= 253 || h == 0) && len(keys) < 191 {
				keys = append(keys, stKey{k, end})
			}
		}
	}
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 1))
		tab := sliceTable{}
		tab.grow()
		ref := map[stKey]int{}
		perm := rng.Perm(len(keys))
		for i, p := range perm {
			tab.put(keys[p].k, keys[p].end, i)
			ref[keys[p]] = i
		}
		if len(tab.slots) != 256 {
			t.Fatalf("grew: %d", len(tab.slots))
		}
		checkTable(t, &tab, ref, "full")
		for _, p := range rng.Perm(len(keys)) {
			tab.del(keys[p].k, keys[p].end)
			delete(ref, keys[p])
			checkTable(t, &tab, ref, "del")
			// absent key probe terminates
			tab.get(12345, 1)
			if rng.IntN(3) == 0 {
				q := keys[rng.IntN(len(keys))]
				tab.put(q.k, q.end, 7)
				ref[q] = 7
			}
		}
	}
}

// TestSliceTableExtremes puts, deletes and gets keys and ends at the
// int64 extremes (and near them) against a map.
func TestSliceTableExtremes(t *testing.T) {
	var tab sliceTable
	ref := map[stKey]int{}
	rng := rand.New(rand.NewPCG(5, 5))
	vals := []int64{math.MinInt64, math.MinInt64 + 1, -1, 0, 1, math.MaxInt64, 1 << 32, -(1 << 32)}
	for op := range 100000 {
		k := stKey{vals[rng.IntN(len(vals))] ^ int64(rng.IntN(300)), vals[rng.IntN(len(vals))]}
		switch rng.IntN(3) {
		case 0:
			tab.put(k.k, k.end, op)
			ref[k] = op
		case 1:
			tab.del(k.k, k.end)
			delete(ref, k)
		case 2:
			got, ok := tab.get(k.k, k.end)
			want, wok := ref[k]
			if ok != wok || (ok && got != want) {
				t.Fatalf("op %d: get %v = %d %v, want %d %v", op, k, got, ok, want, wok)
			}
		}
	}
	checkTable(t, &tab, ref, "end")
}
