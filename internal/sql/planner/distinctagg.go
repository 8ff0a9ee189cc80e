package planner

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"unsafe"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// The DISTINCT aggregates of a regular GROUP BY (Flink's DistinctAggCodeGen
// over a MapView): instead of the map of value counts in the accumulator
// row (expr.DistinctAggregate, copied per update), each distinct argument
// column has a keyed MapState of its own (the group key is the state's key,
// the map key the argument's RowCodec encoding) whose value holds one count
// per FILTER among the aggregates over that argument (COUNT(DISTINCT b) and
// COUNT(DISTINCT b) FILTER (WHERE p) share one entry with two counts). The
// accumulator row holds the inner aggregates (COUNT(DISTINCT b): a COUNT),
// which see a value when its count goes 0 -> 1 (Add) and 1 -> 0 (Retract).
// A row costs one map read and write per distinct argument, not a copy of
// every value.

// groupAccs is the accumulator layout of a group aggregation with its
// DISTINCT views.
type groupAccs struct {
	// a is the accumulator row: the calls with DISTINCT replaced by their
	// inner aggregates.
	a     *accs
	plain []int // the calls without a view
	// add1: per call of plain, its Add of one row without the args
	// slice (expr.FastAdd), or nil.
	add1 []func(acc []table.Value, x table.Value)
	// ops: per call of plain, its add of one inserted row with what it
	// looks up per row taken out once (plainOps).
	ops   []preOp
	views []*distinctView
}

// preOp is the add of one row to one plain call's accumulator (the
// mini-batch's pre-aggregation, applyPlain): groupAccs.addFast with the
// call's FILTER, argument and accumulator range looked up once.
type preOp struct {
	call   int // the index of the call in a.aggs
	filter int // the FILTER column, or -1
	arg    int // the argument column, or -1 (none)
	lo, hi int // the accumulator's values
	// add is the call's FastAdd, nil when it has none (Add with the
	// arguments then).
	add func(acc []table.Value, x table.Value)
}

// plainOps is ops of g's plain calls.
func (g *groupAccs) plainOps() []preOp {
	a := g.a
	ops := make([]preOp, 0, len(g.plain))
	for j, ci := range g.plain {
		c := a.aggs[ci]
		op := preOp{call: ci, filter: c.Filter, arg: -1, lo: a.off[ci], hi: a.off[ci+1]}
		if len(c.Args) == 1 {
			op.arg = c.Args[0]
		}
		if j < len(g.add1) {
			op.add = g.add1[j]
		}
		ops = append(ops, op)
	}
	return ops
}

// addOps adds the inserted row fs to the plain calls' accumulators acc
// through ops: those with a FastAdd through it, the others through Add.
func (g *groupAccs) addOps(ops []preOp, acc, fs []table.Value, args []table.Value) ([]table.Value, error) {
	for k := range ops {
		op := &ops[k]
		if op.filter >= 0 && !fs[op.filter].AsBool() {
			continue
		}
		if op.add != nil {
			var x table.Value
			if op.arg >= 0 {
				x = fs[op.arg]
			}
			op.add(acc[op.lo:op.hi], x)
			continue
		}
		c := &g.a.aggs[op.call]
		args = args[:0]
		for _, k := range c.Args {
			args = append(args, fs[k])
		}
		if err := c.F.Add(acc[op.lo:op.hi], args); err != nil {
			return args, fmt.Errorf("%s: %w", c.Text, err)
		}
	}
	return args, nil
}

// distinctView is the state of the distinct values of one argument column.
type distinctView struct {
	arg     int // the input column
	codec   *table.RowCodec
	filters []int   // per count: the FILTER column, -1 for none
	calls   [][]int // per count: the calls (indexes of a.aggs) over it
	// netOK: the net calls of a bundle (groupState.foldRows) give the
	// inner aggregates the state of the per-row calls: every call is a
	// COUNT, or the argument is an integer (SUM, AVG, MIN, MAX and their
	// retracting forms) or a DECIMAL (SUM, AVG). Not FLOAT/DOUBLE: their
	// sums depend on the order of the additions, and MIN/MAX take 0.0 and
	// -0.0 (two values of the view) as one, keeping the first seen.
	netOK bool
	// ints: the argument is an integer (BIGINT, INT, ...): its values
	// are told apart by AsInt in a bundle (applyViewNet).
	ints bool
	// noRetract: a call cannot retract (MIN/MAX of an append-only
	// input); a bundle with retractions then applies the view per row,
	// so that its error is the per-row one.
	noRetract bool
}

// newGroupAccs lays out the accumulators of aggs over the input in (extra:
// types appended to the row, e.g. the row count).
func newGroupAccs(in Node, aggs []AggCall, extra ...table.Type) *groupAccs {
	g := &groupAccs{}
	calls := append([]AggCall(nil), aggs...)
	for i, c := range aggs {
		d, ok := c.F.(expr.DistinctAggregate)
		if !ok || len(c.Args) != 1 {
			g.plain = append(g.plain, i)
			g.add1 = append(g.add1, expr.FastAdd(c.F, len(c.Args)))
			continue
		}
		calls[i].F = d.Inner()
		var v *distinctView
		for _, w := range g.views {
			if w.arg == c.Args[0] {
				v = w
			}
		}
		if v == nil {
			v = &distinctView{arg: c.Args[0], codec: table.NewRowCodecTypes(in.Cols()[c.Args[0]].Type)}
			g.views = append(g.views, v)
		}
		slot := -1
		for s, f := range v.filters {
			if f == c.Filter {
				slot = s
			}
		}
		if slot < 0 {
			slot = len(v.filters)
			v.filters = append(v.filters, c.Filter)
			v.calls = append(v.calls, nil)
		}
		v.calls[slot] = append(v.calls[slot], i)
	}
	for _, v := range g.views {
		t := in.Cols()[v.arg].Type
		v.netOK = true
		v.ints = t.IsInteger()
		for _, cs := range v.calls {
			for _, i := range cs {
				f := calls[i].F
				v.noRetract = v.noRetract || !f.CanRetract()
				switch f.Name() {
				case "COUNT":
				case "SUM", "SUM0", "AVG":
					v.netOK = v.netOK && (t.IsInteger() || t.Root() == table.RootDecimal)
				case "MIN", "MAX", "MIN_RETRACT", "MAX_RETRACT":
					v.netOK = v.netOK && t.IsInteger()
				default:
					v.netOK = false
				}
			}
		}
	}
	g.a = newAccs(calls, extra...)
	g.ops = g.plainOps()
	return g
}

// uidKind is kind, or kind-distinct when the operator keeps DISTINCT views:
// its accumulator row differs from the one of the build before the views
// (a COUNT where COUNT_DISTINCT kept its map), so a savepoint of that
// build is refused as state of an operator the job does not have.
func (g *groupAccs) uidKind(kind string) string {
	if len(g.views) == 0 {
		return kind
	}
	return kind + "-distinct"
}

// groupState is one subtask's state of the views.
type groupState struct {
	g      *groupAccs
	maps   []*stream.MapState[string, []byte]
	kb     []byte
	vb     []byte
	counts []int64
	one    []table.Value
	args   []table.Value
	net    netCounts // foldRows' per-value count changes
}

// netCounts is the change of a view's counts over a bundle: per distinct
// value (in the order of its first row) its encoding, the value and one
// count change per FILTER.
type netCounts struct {
	idx    map[string]int // by entry key (a bundle's rows past netLinear)
	ints   intIndex       // by an integer argument (the same)
	keys   []string       // the entry keys (not of an integer argument)
	vals   []table.Value
	deltas []int64 // len(keys) x the view's FILTERs
}

// open binds the views' map states ("distinct-0", ...) with the TTL
// options ttl: the GROUP BY's (its entries expire one by one, as Flink's
// group aggregation's MapView entries); none for OVER, whose views go with
// the partition (over.go).
func (g *groupAccs) open(ctx *stream.OpenContext, ttl []stream.StateOption) *groupState {
	s := &groupState{g: g, one: make([]table.Value, 1)}
	for i := range g.views {
		// The counts are decoded right after a read, before any write:
		// the state's own bytes, no copy (borrowedBytes, codec.Bytes's
		// layout).
		s.maps = append(s.maps, stream.NewMapStateCodec[string, []byte](ctx, fmt.Sprintf("distinct-%d", i), codec.For[string](), borrowedBytes{}, ttl...))
	}
	return s
}

// clear drops the current key's views (a group that starts again: its
// accumulators are new, so no value of it has been seen).
func (s *groupState) clear() {
	for _, m := range s.maps {
		m.Clear()
	}
}

// apply accumulates the input row r into acc (retract: takes it back):
// the step of one row, for the current key.
func (s *groupState) apply(acc, r table.Row, retract bool) error {
	if err := s.applyPlain(acc, r, retract); err != nil {
		return err
	}
	for vi, v := range s.g.views {
		if err := s.applyView(vi, v, acc, r, retract); err != nil {
			return err
		}
	}
	return nil
}

// addFast adds row r to plain call j (whose FILTER passed) in acc, the
// accumulator row's fields, through its expr.FastAdd; false when it has
// none (or no add1 at all: a layout built by hand).
func (g *groupAccs) addFast(j int, acc []table.Value, r table.Row) bool {
	if j >= len(g.add1) || g.add1[j] == nil {
		return false
	}
	add := g.add1[j]
	i, a := g.plain[j], g.a
	var x table.Value
	if args := a.aggs[i].Args; len(args) == 1 {
		x = r.Fields[args[0]]
	}
	add(acc[a.off[i]:a.off[i+1]], x)
	return true
}

// applyPlain is apply of the calls without a view.
func (s *groupState) applyPlain(acc, r table.Row, retract bool) error {
	if !retract && len(s.g.ops) == len(s.g.plain) {
		var err error
		s.args, err = s.g.addOps(s.g.ops, acc.Fields, r.Fields, s.args)
		return err
	}
	a := s.g.a
	for j, i := range s.g.plain {
		c := a.aggs[i]
		if c.Filter >= 0 && !r.Fields[c.Filter].AsBool() {
			continue
		}
		if !retract && s.g.addFast(j, acc.Fields, r) {
			continue
		}
		s.args = s.args[:0]
		for _, k := range c.Args {
			s.args = append(s.args, r.Fields[k])
		}
		var err error
		if retract {
			err = c.F.Retract(acc.Fields[a.off[i]:a.off[i+1]], s.args)
		} else {
			err = c.F.Add(acc.Fields[a.off[i]:a.off[i+1]], s.args)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.Text, err)
		}
	}
	return nil
}

// viewKey is the view's entry key of the row's argument x: its RowCodec
// encoding in s.kb (valid until the next call), with x as the value the
// inner aggregates see (every NaN one canonical NaN). ok is false when
// the row is no value of the view: a NULL argument, or no FILTER of the
// view passed.
func (s *groupState) viewKey(v *distinctView, r table.Row) (key string, x table.Value, ok bool, err error) {
	if x, ok = viewValue(v, r); !ok {
		return "", x, false, nil
	}
	key, err = s.encodeKey(v, x)
	return key, x, err == nil, err
}

// viewValue is viewKey's value without the encoding.
func viewValue(v *distinctView, r table.Row) (x table.Value, ok bool) {
	x = r.Fields[v.arg]
	if x.IsNull() {
		return x, false // NULLs are no values of COUNT(DISTINCT ...)
	}
	any := false
	for _, f := range v.filters {
		if f < 0 || r.Fields[f].AsBool() {
			any = true
			break
		}
	}
	if !any {
		return x, false
	}
	if x.Kind() == table.KindFloat && math.IsNaN(x.AsFloat()) {
		// Every NaN is one value (Flink's Double keys: equals and
		// doubleToLongBits canonicalise NaN), whatever its bits (CAST('NaN'
		// AS DOUBLE) and SQRT(-1) differ); 0.0 and -0.0 stay two values,
		// as Double.equals tells them apart.
		x = canonicalNaN
	}
	return x, true
}

// encodeKey is the view's entry key of x (not NULL): its RowCodec
// encoding in s.kb, valid until the next call.
func (s *groupState) encodeKey(v *distinctView, x table.Value) (string, error) {
	s.one[0] = x
	kb, err := v.codec.AppendRow(s.kb[:0], table.Row{Fields: s.one})
	if err != nil {
		return "", err
	}
	s.kb = kb
	// The map state only reads the key during a call (its codec appends
	// it to a buffer of its own): no copy of the bytes.
	return unsafe.String(unsafe.SliceData(kb), len(kb)), nil
}

// readCounts reads the counts of the view's entry key into s.counts
// (zeros when it has none).
func (s *groupState) readCounts(vi int, v *distinctView, key string) error {
	s.counts = s.counts[:0]
	if b, ok := s.maps[vi].Get(key); ok {
		var err error
		s.counts, err = decodeDistinctCounts(s.counts, b, len(v.filters))
		return err
	}
	for range v.filters {
		s.counts = append(s.counts, 0)
	}
	return nil
}

// writeCounts writes s.counts back to the view's entry key, removing the
// entry when they are all 0.
func (s *groupState) writeCounts(vi int, key string) {
	for _, n := range s.counts {
		if n != 0 {
			s.vb = encodeDistinctCounts(s.vb[:0], s.counts)
			s.maps[vi].Put(key, s.vb)
			return
		}
	}
	s.maps[vi].Remove(key)
}

// foldRows applies a key's rows of a bundle (the mini-batch aggregation,
// groupagg_batch.go) to its accumulators acc (had: it has state): the
// result of groupRow row by row. When the key's row count stays above 0
// throughout (so no row is dropped and its views are not cleared in
// between), a view whose calls allow it (netOK) is applied once per
// distinct value instead of once per row: the rows' count changes are
// summed per value and FILTER first, then each value's entry is read
// once, moved by the sum and written once, and its inner aggregates see
// the net of the per-row calls: Add when a count goes from 0 or below to
// above 0, Retract when from above 0 to 0 or below, nothing else (the
// per-row calls alternate Add, Retract, ... as the count crosses 0 -> 1
// and 1 -> 0, so they cancel to that one call or none; for COUNT and
// integer or DECIMAL SUM/AVG/MIN/MAX a cancelled pair leaves the state
// as it was). Calls without a view and the other views go row by row.
func (s *groupState) foldRows(acc table.Row, had bool, cnt int, rows []table.Row) (table.Row, bool, error) {
	n := int64(0)
	if had {
		n = acc.Fields[cnt].AsInt()
	}
	retracts := false
	net := false
	for _, v := range s.g.views {
		net = net || v.netOK
	}
	for _, r := range rows {
		if !net {
			break
		}
		if r.Kind.IsRetract() {
			retracts = true
			n--
		} else {
			n++
		}
		net = n > 0
	}
	if !net {
		has := had
		var err error
		for _, r := range rows {
			if acc, has, err = s.groupRow(acc, has, cnt, r); err != nil {
				return acc, false, err
			}
		}
		return acc, has, nil
	}
	if !had {
		acc = s.g.a.init()
		s.clear() // DISTINCT views left by an expired accumulator
	}
	byNet := func(v *distinctView) bool { return v.netOK && !(retracts && v.noRetract) }
	for _, r := range rows {
		retract := r.Kind.IsRetract()
		if err := s.applyPlain(acc, r, retract); err != nil {
			return acc, false, err
		}
		for vi, v := range s.g.views {
			if !byNet(v) {
				if err := s.applyView(vi, v, acc, r, retract); err != nil {
					return acc, false, err
				}
			}
		}
	}
	for vi, v := range s.g.views {
		if byNet(v) {
			if err := s.applyViewNet(vi, v, acc, rows); err != nil {
				return acc, false, err
			}
		}
	}
	acc.Fields[cnt] = table.Int(n)
	return acc, true, nil
}

// netLinear is the most rows of a key's bundle whose distinct values
// applyViewNet finds by a scan of the values so far rather than a map
// (most keys of a bundle have a few rows; a map's clear costs its room).
const netLinear = 16

// applyViewNet applies the view to the rows once per distinct value
// (foldRows). The values are told apart by their entry keys (the
// RowCodec encoding), or for an integer argument by the integer itself
// (one integer, one encoding): a map from the integer then, with no
// string per value.
func (s *groupState) applyViewNet(vi int, v *distinctView, acc table.Row, rows []table.Row) error {
	d := &s.net
	clear(d.vals) // drop the references to the rows' values
	d.keys, d.vals, d.deltas = d.keys[:0], d.vals[:0], d.deltas[:0]
	if d.idx == nil {
		d.idx = map[string]int{}
	}
	linear := len(rows) <= netLinear
	if !linear {
		if len(d.idx) > 0 {
			clear(d.idx)
		}
		d.ints.reset()
	}
	ints := v.ints
	nf := len(v.filters)
	for _, r := range rows {
		x, ok := viewValue(v, r)
		if !ok {
			continue
		}
		i, seen := -1, false
		var key string
		switch {
		case ints && linear:
			n := x.AsInt()
			for j, y := range d.vals {
				if y.AsInt() == n {
					i, seen = j, true
					break
				}
			}
		case ints:
			i, seen = d.ints.index(x.AsInt(), len(d.vals))
		default:
			var err error
			if key, err = s.encodeKey(v, x); err != nil {
				return err
			}
			if linear {
				for j, k := range d.keys {
					if k == key {
						i, seen = j, true
						break
					}
				}
			} else {
				i, seen = d.idx[key]
			}
		}
		if !seen {
			i = len(d.vals)
			if !ints {
				k := string([]byte(key)) // key is s.kb's: a copy of its own
				d.keys = append(d.keys, k)
				if !linear {
					d.idx[k] = i
				}
			}
			d.vals = append(d.vals, x)
			for range nf {
				d.deltas = append(d.deltas, 0)
			}
		}
		step := int64(1)
		if r.Kind.IsRetract() {
			step = -1
		}
		for slot, f := range v.filters {
			if f < 0 || r.Fields[f].AsBool() {
				d.deltas[i*nf+slot] += step
			}
		}
	}
	a := s.g.a
	for i, x := range d.vals {
		var key string
		if ints {
			var err error
			if key, err = s.encodeKey(v, x); err != nil {
				return err
			}
		} else {
			key = d.keys[i]
		}
		if err := s.readCounts(vi, v, key); err != nil {
			return err
		}
		s.one[0] = x
		for slot := range v.filters {
			old := s.counts[slot]
			now := old + d.deltas[i*nf+slot]
			s.counts[slot] = now
			var call func(expr.AggregateFunc, []table.Value, []table.Value) error
			switch {
			case old <= 0 && now > 0:
				call = expr.AggregateFunc.Add
			case old > 0 && now <= 0:
				call = expr.AggregateFunc.Retract
			default:
				continue
			}
			for _, j := range v.calls[slot] {
				c := a.aggs[j]
				if err := call(c.F, acc.Fields[a.off[j]:a.off[j+1]], s.one); err != nil {
					return fmt.Errorf("%s: %w", c.Text, err)
				}
			}
		}
		s.writeCounts(vi, key)
	}
	return nil
}

func (s *groupState) applyView(vi int, v *distinctView, acc, r table.Row, retract bool) error {
	key, _, ok, err := s.viewKey(v, r)
	if err != nil || !ok {
		return err
	}
	if err := s.readCounts(vi, v, key); err != nil {
		return err
	}
	a := s.g.a
	for slot, f := range v.filters {
		if f >= 0 && !r.Fields[f].AsBool() {
			continue
		}
		n := s.counts[slot]
		var call func(expr.AggregateFunc, []table.Value, []table.Value) error
		if retract {
			s.counts[slot]--
			if n == 1 {
				call = expr.AggregateFunc.Retract
			}
		} else {
			s.counts[slot]++
			if n == 0 {
				call = expr.AggregateFunc.Add
			}
		}
		if call == nil {
			continue
		}
		for _, i := range v.calls[slot] {
			c := a.aggs[i]
			if err := call(c.F, acc.Fields[a.off[i]:a.off[i+1]], s.one); err != nil {
				return fmt.Errorf("%s: %w", c.Text, err)
			}
		}
	}
	s.writeCounts(vi, key)
	return nil
}

var canonicalNaN = table.Float(math.NaN())

// A view's value: a version byte (1), the number of counts, each count
// (a zig-zag varint: a retraction before its row leaves it below zero),
// then a CRC-32C of all that.
const distinctStateVersion = 1

var errDistinctState = errors.New("planner: corrupt state of a DISTINCT aggregate (the value counts of a GROUP BY)")

func encodeDistinctCounts(dst []byte, counts []int64) []byte {
	start := len(dst)
	dst = append(dst, distinctStateVersion)
	dst = binary.AppendUvarint(dst, uint64(len(counts)))
	for _, n := range counts {
		dst = binary.AppendVarint(dst, n)
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// decodeDistinctCounts appends the want counts of b to dst.
func decodeDistinctCounts(dst []int64, b []byte, want int) ([]int64, error) {
	if len(b) < 6 || b[0] != distinctStateVersion {
		return dst, fmt.Errorf("%w: unknown version or too short (%d bytes)", errDistinctState, len(b))
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return dst, fmt.Errorf("%w: checksum mismatch", errDistinctState)
	}
	body = body[1:]
	n, k := binary.Uvarint(body)
	if k <= 0 || n != uint64(want) {
		return dst, fmt.Errorf("%w: %d counts, the query has %d FILTERs over the argument", errDistinctState, n, want)
	}
	body = body[k:]
	for range n {
		c, k := binary.Varint(body)
		if k <= 0 {
			return dst, fmt.Errorf("%w: truncated", errDistinctState)
		}
		dst = append(dst, c)
		body = body[k:]
	}
	if len(body) != 0 {
		return dst, fmt.Errorf("%w: trailing bytes", errDistinctState)
	}
	return dst, nil
}

// intIndex maps the integer values of a bundle's rows to their indexes
// (applyViewNet): open addressing with linear probing, a slot used when
// its generation is the table's, so that reset is a counter increment,
// not a clear of the table's room.
type intIndex struct {
	slots []intSlot
	gen   uint32
	n     int
}

type intSlot struct {
	key int64
	val int32
	gen uint32
}

// reset empties the table.
func (t *intIndex) reset() {
	t.n = 0
	t.gen++
	if t.gen == 0 { // wrapped: no slot may look used
		clear(t.slots)
		t.gen = 1
	}
}

// index is k's index, seen true; or, when k is not there, next, now
// k's, seen false.
func (t *intIndex) index(k int64, next int) (i int, seen bool) {
	if t.gen == 0 {
		t.gen = 1
	}
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	for h := intHash(k) & mask; ; h = (h + 1) & mask {
		s := &t.slots[h]
		if s.gen != t.gen {
			*s = intSlot{key: k, val: int32(next), gen: t.gen}
			t.n++
			return next, false
		}
		if s.key == k {
			return int(s.val), true
		}
	}
}

// grow doubles the table (at least 64 slots) and moves the used slots.
func (t *intIndex) grow() {
	old := t.slots
	t.slots = make([]intSlot, max(64, 2*len(old)))
	mask := uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.gen != t.gen {
			continue
		}
		h := intHash(s.key) & mask
		for t.slots[h].gen == t.gen {
			h = (h + 1) & mask
		}
		t.slots[h] = s
	}
}

// intHash spreads k over the table's bits (Fibonacci hashing, the high
// bits folded down).
func intHash(k int64) uint64 {
	h := uint64(k) * 0x9E3779B97F4A7C15
	return h ^ h>>32
}
