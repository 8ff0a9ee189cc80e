package planner

import (
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// The memory path of the regular join (regularJoinFn.mem): an inner join
// without state TTL keeps the rows of both sides that arrive between two
// checkpoint barriers as Go values in memory, per key, instead of encoding
// each into its list state (as Flink's heap state backend keeps objects
// and serialises them for a snapshot). A row that arrives is paired with
// the other side's rows in state (decoded, decodeCache) and then with its
// rows in memory, which all came after those in state: the pairs of the
// state path, in the same order. A checkpoint barrier (Flush,
// operator.KeyedCoBuffer) encodes the rows in memory into the lists of
// their keys, after the rows there, so a snapshot holds exactly the state
// path's state (the layout, UIDs and savepoints do not change) and memory
// is empty again. A retraction first moves its key's rows in memory into
// state (spill), where the state path finds and removes the retracted row.
// Past maxBytes (spilled) every new row goes to state, each key's rows in
// memory before it, until the next barrier. The end of the input does not
// move anything (FlushAtFinish): nothing reads the state after it but the
// final checkpoint, whose barrier does. Outer joins (their rows carry
// partner counts rewritten in place) and joins with state TTL (their rows
// expire with their state) take the state path only.
type joinMemRows struct {
	rows [2][][]table.Value // [0] left, [1] right; in arrival order
}

// maxRegularJoinBytes bounds what a regular join keeps in memory per
// subtask: the estimate memRowBytes of its rows and joinKeyOverhead a key.
const maxRegularJoinBytes = 1 << 30

// memRowBytes estimates the memory of a row kept in memory: its values
// and slice header, and a bound of its encoding (for its strings' bytes).
func memRowBytes(fs []table.Value) int {
	return 24 + 24*len(fs) + table.SizeBound(table.Row{Fields: fs})
}

func sideIdx(left bool) int {
	if left {
		return 0
	}
	return 1
}

func otherIdx(left bool) int { return 1 - sideIdx(left) }

// keep puts a row of key (the current key) into memory and returns the
// key's rows there; nil when spilled: the key's rows in memory have moved
// to state and the caller stores the row there too.
func (f *regularJoinFn) keep(key string, fs []table.Value, left bool) (*joinMemRows, error) {
	i, ok := f.memIdx[key]
	if f.spilled {
		if ok {
			return nil, f.spill(key)
		}
		return nil, nil
	}
	if !ok {
		if n := len(f.memFree); n > 0 {
			i, f.memFree = f.memFree[n-1], f.memFree[:n-1]
		} else {
			i = int32(len(f.memEnts))
			f.memEnts = append(f.memEnts, joinMemRows{})
		}
		f.memIdx[key] = i
		f.memBytes += joinKeyOverhead + len(key)
	}
	ent := &f.memEnts[i]
	// The row's own fields: the join keeps its input rows (it is no
	// operator.Releaser), so nothing before it writes them again.
	ent.rows[sideIdx(left)] = append(ent.rows[sideIdx(left)], fs[:len(fs):len(fs)])
	if f.memBytes += memRowBytes(fs); f.memBytes > f.maxBytes {
		f.spilled = true
	}
	return ent, nil
}

// store encodes a row into the list st (the current key's) with codec c.
func (f *regularJoinFn) store(st *stream.ListState[[]byte], c *table.RowCodec, fs []table.Value) error {
	f.enc, f.encFields = c, fs
	err := st.AddFunc(table.SizeBound(table.Row{Fields: fs}), f.encode)
	f.encFields = nil
	return err
}

// spill moves the rows in memory of key (the current key) into state.
func (f *regularJoinFn) spill(key string) error {
	i, ok := f.memIdx[key]
	if !ok {
		return nil
	}
	delete(f.memIdx, key)
	f.memBytes -= joinKeyOverhead + len(key)
	ent := &f.memEnts[i]
	err := f.moveToState(ent)
	*ent = joinMemRows{}
	f.memFree = append(f.memFree, i)
	return err
}

// moveToState appends ent's rows to the lists of the current key.
func (f *regularJoinFn) moveToState(ent *joinMemRows) error {
	for side, st := range []*stream.ListState[[]byte]{f.left, f.right} {
		c := f.lc
		if side == 1 {
			c = f.rc
		}
		for _, fs := range ent.rows[side] {
			if err := f.store(st, c, fs); err != nil {
				return err
			}
			f.memBytes -= memRowBytes(fs)
		}
	}
	return nil
}

// Flush moves every row in memory into state (a checkpoint barrier:
// operator.KeyedCoBuffer).
func (f *regularJoinFn) Flush(_ *stream.KeyedContext[string], setKey func(string)) error {
	f.spilled = false
	for key, i := range f.memIdx {
		setKey(key)
		if err := f.moveToState(&f.memEnts[i]); err != nil {
			return err
		}
	}
	clear(f.memIdx)
	clear(f.memEnts)
	f.memEnts, f.memFree = f.memEnts[:0], f.memFree[:0]
	f.memBytes = 0
	return nil
}

// FlushAtFinish says that the end of the input need not move the rows in
// memory into state (operator.KeyedCoBuffer): the final checkpoint's
// barrier does, and nothing else reads the state after it.
func (*regularJoinFn) FlushAtFinish() bool { return false }
