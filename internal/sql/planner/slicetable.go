package planner

// sliceTable maps (an integer key, a slice end) to a position in the
// sliced aggregation's buffer (sliceAgg.bufd): open addressing with linear
// probing over a flat array, the key and end next to the position, so a
// look-up hashes two integers and reads one cache line, where the Go map
// of sliceKey hashes the key's encoded string. Deletion shifts the
// entries after the deleted one back (no tombstones), so the table never
// needs a clean-up; it grows at 3/4 full and never shrinks.
type sliceTable struct {
	slots []sliceSlot // a power of 2 of them
	n     int         // entries
	shift uint        // 64 - log2(len(slots))
}

// sliceSlot is an entry of sliceTable: pos is the position + 1, 0 when
// the slot is empty.
type sliceSlot struct {
	k, end int64
	pos    int32
}

const sliceTableMin = 256

func (t *sliceTable) home(k, end int64) int {
	h := (uint64(k)*0x9e3779b97f4a7c15 ^ uint64(end)) * 0xbf58476d1ce4e5b9
	return int(h >> t.shift)
}

// get returns the position of (k, end).
func (t *sliceTable) get(k, end int64) (int, bool) {
	if t.n == 0 {
		return 0, false
	}
	mask := len(t.slots) - 1
	for i := t.home(k, end); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.pos == 0 {
			return 0, false
		}
		if s.k == k && s.end == end {
			return int(s.pos - 1), true
		}
	}
}

// put sets the position of (k, end).
func (t *sliceTable) put(k, end int64, pos int) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	mask := len(t.slots) - 1
	for i := t.home(k, end); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.pos == 0 {
			*s = sliceSlot{k, end, int32(pos + 1)}
			t.n++
			return
		}
		if s.k == k && s.end == end {
			s.pos = int32(pos + 1)
			return
		}
	}
}

// del deletes (k, end), if there.
func (t *sliceTable) del(k, end int64) {
	if t.n == 0 {
		return
	}
	mask := len(t.slots) - 1
	i := t.home(k, end)
	for ; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.pos == 0 {
			return
		}
		if s.k == k && s.end == end {
			break
		}
	}
	// Move back each later entry of the run whose home is not in (i, j]
	// (cyclically): it was placed past i because i was taken.
	for j := i; ; {
		j = (j + 1) & mask
		s := &t.slots[j]
		if s.pos == 0 {
			break
		}
		h := t.home(s.k, s.end)
		if i <= j {
			if i < h && h <= j {
				continue
			}
		} else if i < h || h <= j {
			continue
		}
		t.slots[i] = *s
		i = j
	}
	t.slots[i] = sliceSlot{}
	t.n--
}

func (t *sliceTable) grow() {
	old := t.slots
	size := max(sliceTableMin, 2*len(old))
	t.slots = make([]sliceSlot, size)
	t.shift = 64
	for s := size; s > 1; s >>= 1 {
		t.shift--
	}
	t.n = 0
	mask := size - 1
	for _, s := range old {
		if s.pos == 0 {
			continue
		}
		i := t.home(s.k, s.end)
		for t.slots[i].pos != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
		t.n++
	}
}
