package state

import "fmt"

// RestoreChain restores the chain of key group kg into b: links[0] a key
// group snapshot (AppendGroup) or nil, the others deltas (AppendDelta) or
// nil (no change in kg). The result is that of RestoreGroup on every
// non-nil link in order, for a b with no entry in kg yet (a restore's new
// backend); otherwise, or when a link after the first is not a delta, it
// is exactly that. (With deltas, b's tables may be created in another
// order: TableNames, which orders only a serialisation, may list them
// differently; their entries are the same.)
//
// With deltas it reads the links newest first and writes each key once:
// the newest link that names a key (an entry, or a removal) decides it,
// and older entries of a decided key are skipped instead of being written
// and then deleted or replaced. (Within one delta the removals come first,
// so an entry of the same key wins over its removal; an entry repeated in
// one delta replaces the earlier one.) A restore of a base and n deltas
// then writes each live key once instead of once per link that names it.
func RestoreChain(b Backend, kg int, links [][]byte) error {
	fast := len(links) > 1 && b.KeyGroups().Contains(kg)
	for i, l := range links {
		if i > 0 && l != nil && (len(l) == 0 || l[0] != groupDeltaVersion) {
			fast = false
		}
	}
	if fast {
		for _, name := range b.TableNames() {
			b.Table(name).ScanGroup(kg, func(_, _, _ []byte) bool { fast = false; return false })
		}
	}
	if !fast {
		for i, l := range links {
			if l == nil {
				continue
			}
			if err := RestoreGroup(b, kg, l); err != nil {
				return fmt.Errorf("link %d of %d: %w", i, len(links), err)
			}
		}
		return nil
	}
	// decided[table][key] is the index of the newest link that names key.
	decided := map[string]map[string]int{}
	var removed [][]byte
	for i := len(links) - 1; i >= 0; i-- {
		data := links[i]
		if data == nil {
			continue
		}
		r := reader{b: data}
		v := r.byte()
		var err error
		switch {
		case v == groupDeltaVersion:
			removed, err = applyDeltaNewestFirst(b, kg, i, &r, decided, removed[:0])
		case v == groupSnapshotVersion && i == 0:
			err = applyBase(b, kg, &r, decided)
		default:
			// Not reached: checked above (the first byte of every link after
			// the first is the delta version; a base of another version).
			err = RestoreGroup(b, kg, data)
		}
		if err != nil {
			return fmt.Errorf("link %d of %d: %w", i, len(links), err)
		}
	}
	return nil
}

// applyDeltaNewestFirst applies the rest of delta link i (after its
// version byte) to b, skipping the keys that a newer link decided, and
// records the keys it decides. removed is scratch space.
func applyDeltaNewestFirst(b Backend, kg, i int, r *reader, decided map[string]map[string]int, removed [][]byte) ([][]byte, error) {
	tables := r.uvarint()
	for ti := uint64(0); ti < tables && r.err == nil; ti++ {
		name := r.bytes()
		if r.err != nil {
			break
		}
		t := b.Table(string(name))
		dec := decided[string(name)]
		if dec == nil {
			dec = map[string]int{}
			decided[string(name)] = dec
		}
		nr := r.uvarint()
		removed = removed[:0]
		for j := uint64(0); j < nr && r.err == nil; j++ {
			if key := r.bytes(); r.err == nil {
				removed = append(removed, key)
			}
		}
		n := r.uvarint()
		for j := uint64(0); j < n && r.err == nil; j++ {
			key := r.bytes()
			subs := r.uvarint()
			if r.err != nil {
				break
			}
			at, ok := dec[string(key)]
			write := !ok || at == i
			switch {
			case !ok:
				dec[string(key)] = i
			case at == i:
				t.DeleteKey(kg, key) // repeated in this delta: the later one replaces it
			}
			for k := uint64(0); k < subs && r.err == nil; k++ {
				sub, value := r.bytes(), r.bytes()
				if r.err == nil && write {
					t.Put(kg, key, sub, value)
				}
			}
		}
		// The removals of this delta came before its entries: they decide
		// only the keys that neither a newer link nor this one's entries did.
		for _, key := range removed {
			if _, ok := dec[string(key)]; !ok {
				dec[string(key)] = i
			}
		}
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes of junk after the last table", len(r.b))
	}
	if r.err != nil {
		return removed, fmt.Errorf("state: key group %d delta is corrupt: %w", kg, r.err)
	}
	return removed, nil
}
