package planner

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// WindowJoin is Flink's window join: a join of two window relations (window
// table functions, window aggregations) whose keys include the equality of
// their window_start and of their window_end. Each side's rows of a key and
// window are kept until the watermark passes the window's end; then the
// pairs (and, for an outer join, the NULL-padded rows without a partner)
// are emitted and the state is dropped. Insert-only. Late rows (their
// window already fired) are dropped and counted. Output: the left columns,
// then the right ones.
type WindowJoin struct {
	Kind         string // INNER, LEFT, RIGHT, FULL; SEMI, ANTI (the left rows with / without a partner)
	L, R         Node
	LKeys, RKeys []int  // the window columns included
	NullSafe     []bool // per key: IS NOT DISTINCT FROM, else =
	LEnd, REnd   int    // window_end of each side
	Cond         expr.Expr
	// Zone is the shift time zone of the windows (nil: none), taken from
	// the window_end columns at bind time.
	Zone *windowZone
	cols []Col
}

func (n *WindowJoin) Cols() []Col    { return n.cols }
func (n *WindowJoin) Updating() bool { return false }
func (n *WindowJoin) Inputs() []Node { return []Node{n.L, n.R} }

func joinTypeText(kind string) string {
	return map[string]string{"INNER": "InnerJoin", "LEFT": "LeftOuterJoin", "RIGHT": "RightOuterJoin", "FULL": "FullOuterJoin",
		"SEMI": "LeftSemiJoin", "ANTI": "LeftAntiJoin", "MARK": "LeftMarkJoin"}[kind]
}

func (n *WindowJoin) explain() string {
	var ks []string
	for i := range n.LKeys {
		ks = append(ks, fmt.Sprintf("%s %s %s", n.L.Cols()[n.LKeys[i]].Name, keyOp(n.NullSafe, i), n.R.Cols()[n.RKeys[i]].Name))
	}
	cond := ""
	if n.Cond != nil {
		cond = fmt.Sprintf(", condition=[%s]", n.Cond)
	}
	return fmt.Sprintf("WindowJoin(joinType=[%s], where=[%s]%s, window=[%s]", joinTypeText(n.Kind), strings.Join(ks, " AND "), cond,
		n.L.Cols()[n.LEnd].Win.spec())
}

// joinCond binds the residual ON conditions of an outer join over the
// joined row.
func (p *Planner) joinCond(cs []parser.Expr, s *scope) (expr.Expr, error) {
	var on parser.Expr
	for _, c := range cs {
		if p.b.hasAgg(c) {
			return nil, errAt(c, "aggregate functions are not allowed in ON")
		}
		if on == nil {
			on = c
		} else {
			on = &parser.Binary{Op: "AND", L: on, R: c}
		}
	}
	e, err := p.b.bind(on, s)
	if err != nil {
		return nil, err
	}
	if e.Type().Root() != table.RootBoolean {
		return nil, errAt(on, "ON must be a BOOLEAN condition, %s is %s", on, e.Type())
	}
	return e, nil
}

// windowJoinOf returns the window join of l and r when their keys pair
// both window_start and window_end columns, nil otherwise.
func windowJoinOf(at parser.Node, kind string, l, r Node, jn *IntervalJoin, cond expr.Expr, s *scope) (*WindowJoin, error) {
	if l.Updating() || r.Updating() {
		return nil, nil
	}
	ws, we := -1, -1
	for i := range jn.LKeys {
		lw, rw := l.Cols()[jn.LKeys[i]].Win, r.Cols()[jn.RKeys[i]].Win
		switch {
		case lw.col() == winStart && rw.col() == winStart:
			ws = i
		case lw.col() == winEnd && rw.col() == winEnd:
			we = i
		}
	}
	if ws < 0 || we < 0 {
		return nil, nil
	}
	if lw, rw := l.Cols()[jn.LKeys[ws]].Win, r.Cols()[jn.RKeys[ws]].Win; lw.spec() != rw.spec() {
		return nil, errAt(at, "a window join needs the same windows on both sides (as in Flink): the left has %s, the right %s", lw.spec(), rw.spec())
	}
	wj := &WindowJoin{Kind: kind, L: l, R: r, LKeys: jn.LKeys, RKeys: jn.RKeys, NullSafe: jn.NullSafe, LEnd: jn.LKeys[we], REnd: jn.RKeys[we], Cond: cond,
		Zone: l.Cols()[jn.LKeys[we]].Win.zone()}
	nl := len(l.Cols())
	wj.cols = append(wj.cols, jn.cols...)
	// The window columns of the side that is never NULL stay window
	// columns (a window aggregation or join may follow).
	for i := range wj.cols {
		switch {
		case i < nl && (kind == "INNER" || kind == "LEFT"):
			wj.cols[i].Win = l.Cols()[i].Win
		case i >= nl && kind == "RIGHT":
			wj.cols[i].Win = r.Cols()[i-nl].Win
		}
		s.cols[i].win = wj.cols[i].Win
	}
	return wj, nil
}

func (n *WindowJoin) translate(tr *translator) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	l, r, err := tr.buildPair(n.L, n.R)
	if err != nil {
		return zero, err
	}
	// Rows with a NULL key get keys of their own side (joinKeyOf): they
	// pair with nothing (an outer or anti side's still come out, padded or
	// kept) and leave the state when their window ends.
	lkey, _ := joinKeyOf(n.L, n.LKeys, n.NullSafe, 'L')
	rkey, _ := joinKeyOf(n.R, n.RKeys, n.NullSafe, 'R')
	post := tr.joinPost[n]
	if n.Kind != "INNER" {
		post = nil
	}
	newFn := func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
		f := &windowJoinFn{n: n, lc: rowCodecOf(n.L), rc: rowCodecOf(n.R), mem: true, post: post, zone: n.Zone}
		if n.Cond != nil {
			var err error
			f.cond, err = expr.CompilePredicate(n.Cond, tr.copts...)
			evalPanic(err)
		}
		return f
	}
	if n.Cond != nil {
		if _, err := expr.CompilePredicate(n.Cond, tr.copts...); err != nil {
			return zero, err
		}
	}
	return stream.KeyedCoProcess(stream.KeyBy(l, lkey), stream.KeyBy(r, rkey), newFn).Name("window-join").UID(tr.uid(zoneUIDKind("window-join", n.Zone))), nil
}

// windowJoinFn is the keyed function of a window join: the key includes
// the window, so a key's rows all wait for one timer, window_end - 1.
// Each side's rows are RowCodec bytes in list state.
//
// With mem, a key's rows are the same bytes appended to a buffer of the
// key in memory (a uvarint length before each), and the timer is
// registered once per key: the same timers, so the same firing order.
// Past maxJoinBytes (spilled) the rows that come after go to state until
// the next checkpoint barrier; a key's rows in memory came before its rows
// in state, so OnTimer reads memory first. A checkpoint barrier (Flush,
// operator.KeyedCoBuffer) moves the rows in memory into state, before the
// key's rows there, so a snapshot holds the state path's state, and
// memory is empty again (spilled ends). stateKeys are the keys that may
// have rows in state: those Flush moved, those that went to state while
// spilled, a restored operator's keys in state; their later rows go to
// state too until their window fires, and only their timers read and
// clear the list states.
type windowJoinFn struct {
	n           *WindowJoin
	lc, rc      *table.RowCodec
	cond        func(*table.Row) (bool, error)
	left, right *stream.ListState[[]byte]
	buf         []byte

	mem       bool                // the memory path: new rows (of keys not in stateKeys) go to memory
	spilled   bool                // past maxBytes: new rows go to state until the next Flush
	stateKeys map[string]struct{} // with mem: the keys that may have rows in state, window not fired
	index     map[string]int32    // key -> its rows in ents
	ents      []keyRows
	free      []int32
	memBytes  int
	maxBytes  int
	lb, rb    [][]byte // scratch of OnTimer: encoded rows
	rs        []table.Row
	lrow      []table.Value // a decoded left row
	matched   []bool
	pair      table.Row // the joined row the condition reads
	// post are filters of the Calc over an inner join (integer
	// comparisons that cannot fail on a joined row): a pair they drop
	// is not built (the Calc applies them again).
	post []func(*table.Row) (bool, error)
	zone *windowZone // the windows' shift time zone (winzone.go)
}

// keyRows are the rows of one key (and window) in memory: RowCodec bytes,
// each after its length (uvarint), in arrival order.
type keyRows struct{ l, r []byte }

// maxJoinBytes bounds the bytes a window join keeps in memory (the rows
// and joinKeyOverhead a key).
const (
	maxJoinBytes    = 64 << 20
	joinKeyOverhead = 96
)

func (f *windowJoinFn) Open(ctx *stream.OpenContext) error {
	f.left = stream.NewListState[[]byte](ctx, "window-join-left")
	f.right = stream.NewListState[[]byte](ctx, "window-join-right")
	f.spilled = false
	f.index = make(map[string]int32)
	f.stateKeys = make(map[string]struct{})
	if ctx.RT != nil && ctx.RT.Restored != nil && f.mem {
		// Rows from a snapshot are in state: their keys' later rows go
		// there too (the key groups of the subtask are restored before
		// Open; keys are encoded with codec.For[string], stream.KeyBy's).
		c := codec.For[string]()
		var err error
		for _, name := range []string{"window-join-left", "window-join-right"} {
			t := ctx.KC.Backend.Table(name)
			for kg := ctx.RT.KeyGroups.Start; kg < ctx.RT.KeyGroups.End && err == nil; kg++ {
				t.ScanGroup(kg, func(key, _, _ []byte) bool {
					var k string
					if k, err = c.Decode(key); err != nil {
						return false
					}
					f.stateKeys[k] = struct{}{}
					return true
				})
			}
		}
		if err != nil {
			return fmt.Errorf("window join: restored key: %w", err)
		}
	}
	if f.maxBytes == 0 {
		f.maxBytes = maxJoinBytes
	}
	return nil
}

func (f *windowJoinFn) add(ctx *stream.KeyedContext[string], v table.Row, end int, c *table.RowCodec, st *stream.ListState[[]byte], left bool) error {
	e, _ := v.Fields[end].AsTimestamp()
	if fireAt(f.zone, e) <= ctx.CurrentWatermark() {
		ctx.CountLate() // its window has fired
		return nil
	}
	if f.mem {
		if f.spilled {
			f.stateKeys[ctx.Key()] = struct{}{}
		} else if len(f.stateKeys) == 0 {
			return f.addMem(ctx, v, e, c, left)
		} else if _, ok := f.stateKeys[ctx.Key()]; !ok {
			return f.addMem(ctx, v, e, c, left)
		}
	}
	var err error
	if f.buf, err = c.AppendRow(f.buf[:0], table.Row{Fields: v.Fields}); err != nil {
		return err
	}
	st.Add(f.buf) // copied
	ctx.RegisterEventTimeTimer(fireAt(f.zone, e))
	return nil
}

// addMem appends v's bytes to its key's rows in memory (mem).
func (f *windowJoinFn) addMem(ctx *stream.KeyedContext[string], v table.Row, e int64, c *table.RowCodec, left bool) error {
	key := ctx.Key()
	i, ok := f.index[key]
	if !ok {
		if n := len(f.free); n > 0 {
			i, f.free = f.free[n-1], f.free[:n-1]
		} else {
			i = int32(len(f.ents))
			f.ents = append(f.ents, keyRows{})
		}
		f.index[key] = i
		f.memBytes += joinKeyOverhead + len(key)
		ctx.RegisterEventTimeTimer(fireAt(f.zone, e))
	}
	var err error
	if f.buf, err = c.AppendRow(f.buf[:0], table.Row{Fields: v.Fields}); err != nil {
		return err
	}
	ent := &f.ents[i]
	// The bytes the row adds (its length prefix included) are what rows
	// subtracts again: an estimate here would drift over the job's life.
	before := len(ent.l) + len(ent.r)
	if left {
		ent.l = append(binary.AppendUvarint(ent.l, uint64(len(f.buf))), f.buf...)
	} else {
		ent.r = append(binary.AppendUvarint(ent.r, uint64(len(f.buf))), f.buf...)
	}
	if f.memBytes += len(ent.l) + len(ent.r) - before; f.memBytes >= f.maxBytes {
		f.spilled = true
	}
	return nil
}

func (f *windowJoinFn) ProcessElement1(ctx *stream.KeyedContext[string], v table.Row, _ stream.Emitter[table.Row]) error {
	return f.add(ctx, v, f.n.LEnd, f.lc, f.left, true)
}

func (f *windowJoinFn) ProcessElement2(ctx *stream.KeyedContext[string], v table.Row, _ stream.Emitter[table.Row]) error {
	return f.add(ctx, v, f.n.REnd, f.rc, f.right, false)
}

// split appends the rows of b (each after its length) to dst.
func split(dst [][]byte, b []byte) ([][]byte, error) {
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return dst, fmt.Errorf("%w: window join row of %d bytes in %d", table.ErrCorrupt, n, len(b))
		}
		dst = append(dst, b[k:k+int(n)])
		b = b[k+int(n):]
	}
	return dst, nil
}

// rows gathers the encoded rows of the current key, those in memory, then
// those in state, and drops them from both. The bytes stay valid until
// the next call.
func (f *windowJoinFn) rows(ctx *stream.KeyedContext[string]) (lb, rb [][]byte, err error) {
	lb, rb = f.lb[:0], f.rb[:0]
	if len(f.index) > 0 {
		key := ctx.Key()
		if i, ok := f.index[key]; ok {
			ent := &f.ents[i]
			if lb, err = split(lb, ent.l); err != nil {
				return nil, nil, err
			}
			if rb, err = split(rb, ent.r); err != nil {
				return nil, nil, err
			}
			f.memBytes -= joinKeyOverhead + len(key) + len(ent.l) + len(ent.r)
			// The buffers are handed to OnTimer: the entry starts anew.
			ent.l, ent.r = nil, nil
			delete(f.index, key)
			f.free = append(f.free, i)
		}
	}
	inState := !f.mem
	if !inState && len(f.stateKeys) > 0 {
		key := ctx.Key()
		if _, inState = f.stateKeys[key]; inState {
			delete(f.stateKeys, key)
		}
	}
	if inState {
		lb = append(lb, f.left.Get()...)
		rb = append(rb, f.right.Get()...)
		f.left.Clear()
		f.right.Clear()
	}
	f.lb, f.rb = lb, rb
	return lb, rb, nil
}

// Flush moves the rows in memory into state (a checkpoint barrier, the
// end of the input; operator.KeyedCoBuffer), each key's before the rows
// it has there (which came after them); their timers are registered.
// Memory is empty then: a join past its bound (spilled) takes the memory
// path again for the keys not in state.
func (f *windowJoinFn) Flush(_ *stream.KeyedContext[string], setKey func(string)) error {
	f.spilled = false
	if len(f.index) == 0 {
		return nil
	}
	for key, i := range f.index {
		setKey(key)
		ent := &f.ents[i]
		_, inState := f.stateKeys[key]
		for _, side := range []struct {
			b  []byte
			st *stream.ListState[[]byte]
		}{{ent.l, f.left}, {ent.r, f.right}} {
			var after [][]byte
			if inState {
				after = side.st.Get()
				side.st.Clear()
			}
			rows, err := split(nil, side.b)
			if err != nil {
				return err
			}
			for _, b := range append(rows, after...) {
				side.st.Add(b) // copied
			}
		}
		f.memBytes -= joinKeyOverhead + len(key) + len(ent.l) + len(ent.r)
		ent.l, ent.r = ent.l[:0], ent.r[:0]
		f.free = append(f.free, i)
		f.stateKeys[key] = struct{}{}
	}
	clear(f.index)
	return nil
}

func (f *windowJoinFn) OnTimer(ctx *stream.KeyedContext[string], _ int64, out stream.Emitter[table.Row]) error {
	lb, rb, err := f.rows(ctx)
	if err != nil {
		return err
	}
	// The right rows are decoded once each (fresh: they are copied into
	// what is emitted, never emitted themselves); a left row is decoded
	// into one scratch row, copied into each row emitted.
	rs := f.rs[:0]
	for _, b := range rb {
		r, err := f.rc.Decode(b)
		if err != nil {
			return err
		}
		rs = append(rs, r)
	}
	f.rs = rs
	defer func() { clear(f.rs); f.pair = table.Row{} }()
	if f.zone != nil {
		if len(rs) > 0 {
			emitAtWindowTime(out, f.zone, rs[0].Fields[f.n.REnd])
		} else if len(lb) > 0 {
			l, err := f.lc.Decode(lb[0])
			if err != nil {
				return err
			}
			emitAtWindowTime(out, f.zone, l.Fields[f.n.LEnd])
		}
	}
	nl, nr := len(f.n.L.Cols()), len(f.n.R.Cols())
	kind := f.n.Kind
	if cap(f.matched) < len(rs) {
		f.matched = make([]bool, len(rs))
	}
	matchedR := f.matched[:len(rs)]
	clear(matchedR)
	for _, b := range lb {
		ar, err := f.lc.DecodeTo(f.lrow, b)
		if err != nil {
			return err
		}
		f.lrow = ar.Fields
		a := ar.Fields
		if kind == "SEMI" || kind == "ANTI" {
			matched := false
			for _, b := range rs {
				ok := true
				if f.cond != nil {
					f.pair = joinRows(a, b.Fields, nl, nr)
					if ok, err = f.cond(&f.pair); err != nil {
						return err
					}
				}
				if ok {
					matched = true
					break
				}
			}
			if matched == (kind == "SEMI") {
				out.Emit(table.Row{Kind: table.Insert, Fields: slices.Clone(a)})
			}
			continue
		}
		matched := false
		for j, b := range rs {
			if f.cond == nil && len(f.post) == 0 {
				matched, matchedR[j] = true, true
				out.Emit(joinRows(a, b.Fields, nl, nr))
				continue
			}
			// The pair in scratch (read through a field: a pointer to
			// a local would move it to the heap), copied when emitted.
			f.pair = table.Row{Kind: table.Insert, Fields: joinInto(f.pair.Fields, a, b.Fields, nl, nr)}
			if f.cond != nil {
				ok, err := f.cond(&f.pair)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
			}
			matched, matchedR[j] = true, true
			if ok, err := f.passPost(); err != nil {
				return err
			} else if !ok {
				continue
			}
			out.Emit(table.Row{Kind: table.Insert, Fields: slices.Clone(f.pair.Fields)})
		}
		if !matched && (kind == "LEFT" || kind == "FULL") {
			out.Emit(joinRows(a, nil, nl, nr))
		}
	}
	if kind == "RIGHT" || kind == "FULL" {
		for j, b := range rs {
			if !matchedR[j] {
				out.Emit(joinRows(nil, b.Fields, nl, nr))
			}
		}
	}
	return nil
}

// passPost reports whether f.pair passes the filters of the Calc above
// (post: an inner join only).
func (f *windowJoinFn) passPost() (bool, error) {
	for _, p := range f.post {
		if ok, err := p(&f.pair); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// joinInto is joinRows into dst's memory.
func joinInto(dst, a, b []table.Value, nl, nr int) []table.Value {
	if cap(dst) < nl+nr {
		dst = make([]table.Value, nl+nr)
	}
	dst = dst[:nl+nr]
	clear(dst)
	copy(dst, a)
	copy(dst[nl:], b)
	return dst
}

// joinRows is the joined row of a and b (nil: NULLs), kind +I.
func joinRows(a, b []table.Value, nl, nr int) table.Row {
	f := make([]table.Value, nl+nr)
	copy(f, a)
	copy(f[nl:], b)
	return table.Row{Kind: table.Insert, Fields: f}
}
