package table

// Bag is the result a changelog describes: +I and +U add a row, -U and -D
// remove one equal row. Rows keep the place they first came in; a +U right
// after the -U that removed a row's last copy takes that row's place, so an
// updated row stays where it was (as Flink's SQL client shows a table). A
// row is an opaque string: an encoding of its fields the caller chooses.
// At most Max rows are held (0: no bound); beyond that rows are left out
// and Truncated reports it. Not safe for concurrent use.
type Bag struct {
	Max       int
	n         int // rows held, equal ones counted
	truncated bool
	missing   int64
	rows      map[string]*bagEntry
	order     []bagSlot
	dead      int
	freed     int // the slot the last -U freed (-1: none)
}

type bagEntry struct{ count, slot int }

// bagSlot is a place in the order; live is false once its row is removed.
type bagSlot struct {
	row  string
	live bool
}

// Apply applies one change of row.
func (b *Bag) Apply(kind RowKind, row string) {
	if b.rows == nil {
		b.rows, b.freed = map[string]*bagEntry{}, -1
	}
	freed := b.freed
	b.freed = -1
	if kind.IsRetract() {
		b.remove(row, kind == UpdateBefore)
		return
	}
	if b.Max > 0 && b.n >= b.Max {
		b.truncated = true
		return
	}
	b.n++
	if e := b.rows[row]; e != nil {
		e.count++
		return
	}
	if kind == UpdateAfter && freed >= 0 && !b.order[freed].live {
		b.order[freed] = bagSlot{row, true}
		b.dead--
		b.rows[row] = &bagEntry{count: 1, slot: freed}
		return
	}
	b.rows[row] = &bagEntry{count: 1, slot: len(b.order)}
	b.order = append(b.order, bagSlot{row, true})
}

func (b *Bag) remove(row string, update bool) {
	e := b.rows[row]
	if e == nil {
		b.missing++ // left out (truncated) or never there
		return
	}
	b.n--
	if e.count--; e.count > 0 {
		return
	}
	delete(b.rows, row)
	b.order[e.slot] = bagSlot{}
	b.dead++
	if update {
		b.freed = e.slot // for the +U that follows
		return
	}
	if b.dead > 64 && b.dead > len(b.order)/2 {
		live := b.order[:0]
		for _, sl := range b.order {
			if sl.live {
				b.rows[sl.row].slot = len(live)
				live = append(live, sl)
			}
		}
		clear(b.order[len(live):])
		b.order, b.dead = live, 0
	}
}

// Len is the number of rows held (equal rows counted).
func (b *Bag) Len() int { return b.n }

// Truncated reports whether rows were left out because of Max.
func (b *Bag) Truncated() bool { return b.truncated }

// Missing is the number of retractions of rows the bag did not hold.
func (b *Bag) Missing() int64 { return b.missing }

// Each calls fn for every row in order (a row n times for n equal rows)
// until fn returns false.
func (b *Bag) Each(fn func(row string) bool) {
	for _, sl := range b.order {
		if !sl.live {
			continue
		}
		for range b.rows[sl.row].count {
			if !fn(sl.row) {
				return
			}
		}
	}
}
