package planner

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// rowsOut collects rows with their timestamps (copies).
type rowsOut struct {
	ts   []int64
	rows []table.Row
}

func (c *rowsOut) Collect(ts int64, r table.Row) {
	c.ts = append(c.ts, ts)
	c.rows = append(c.rows, table.Row{Kind: r.Kind, Fields: slices.Clone(r.Fields)})
}

// TestJoinRankMatchesUnfused drives the fused join + Calc + Top-N
// (joinRankFn) and the plan it replaces (regularJoinFn in its unique
// mode, the Calc, appendOnlyRowNumber keyed by the partition) with the
// same random inputs and compares the changelogs row for row, with their
// timestamps and order. The unique side (left or right) has at most one
// row per key (some keys none, some rows with a NULL key); the other
// side's rows come before and after it (buffered, then paired in order
// when it comes), with NULL keys and NULL, tied and distinct sort keys
// (price DESC, time ASC, maybe a string), values of BIGINT, TIMESTAMP(3)
// (with nanoseconds the codec drops), STRING, DOUBLE and DECIMAL columns;
// a residual join condition (the time within the unique row's bounds,
// Nexmark q9's) or none; a Calc filter or none, evaluated eagerly or
// lazily (joinRankCalc.lazy); N = 1..3, ties to the first row or to the
// new one; a cache of 2 keys or the default; checkpoints and restores of
// the fused operator at random points (the unfused plan runs without).
func TestJoinRankMatchesUnfused(t *testing.T) {
	// U: id, lo, hi, name, amount. B: auction, price, ts, s, d.
	uTypes := []table.Type{table.BigIntType(), table.TimestampType(3), table.TimestampType(3), table.StringType(), table.DecimalType(10, 2)}
	bTypes := []table.Type{table.BigIntType(), table.BigIntType(), table.TimestampType(3), table.StringType(), table.DoubleType()}
	uc, bc := table.NewRowCodecTypes(uTypes...), table.NewRowCodecTypes(bTypes...)
	// The Calc's row: u.id, u.name, b.price, b.ts, b.s, u.amount, b.d.
	outTypes := []table.Type{table.BigIntType(), table.StringType(), table.BigIntType(), table.TimestampType(3), table.StringType(), table.DecimalType(10, 2), table.DoubleType()}
	oc := table.NewRowCodecTypes(outTypes...)
	long := strings.Repeat("y", 300)
	within := func(u, b []table.Value) bool {
		if u[1].IsNull() || u[2].IsNull() || b[2].IsNull() {
			return false
		}
		ts, _ := b[2].AsTimestamp()
		lo, _ := u[1].AsTimestamp()
		hi, _ := u[2].AsTimestamp()
		return lo <= ts && ts <= hi
	}
	key := func(side byte) func(table.Row) string {
		return func(r table.Row) string {
			if r.Fields[0].IsNull() {
				return "N" + string(side)
			}
			return r.Fields[0].String()
		}
	}
	hasNull := func(r table.Row) bool { return r.Fields[0].IsNull() }
	orNull := func(rng *rand.Rand, v table.Value) table.Value {
		if rng.IntN(6) == 0 {
			return table.Value{}
		}
		return v
	}
	changed := 0
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 17))
		type ev struct {
			unique bool
			row    table.Row
		}
		var evs []ev
		// Some seeds give a key up to 3 unique rows (the top rows then
		// keep indexes above 0: joinRankEntry.topU); the reference is then
		// the fused operator keeping whole top rows, the unfused plan
		// being compared with one unique row a key only. Seeds of both
		// parities (4 and 5 mod 6), so that the unique side is the left
		// one for some (uniqueLeftSide) and the right one for others.
		dupU := seed%6 >= 4
		for k := range 8 {
			if rng.IntN(5) == 0 {
				continue // a key without its unique row
			}
			var id table.Value = table.Int(int64(k))
			if rng.IntN(10) == 0 {
				id = table.Value{} // dropped: NULL = anything is not TRUE
			}
			lo := int64(rng.IntN(50))
			reps := 1
			if dupU {
				reps += rng.IntN(3)
			}
			for range reps {
				evs = append(evs, ev{true, table.NewRow(id, orNull(rng, table.TimestampMillis(lo)),
					orNull(rng, table.Timestamp(lo+int64(rng.IntN(50)), int32(rng.IntN(3))*250_000)),
					orNull(rng, table.Str([]string{"a", "bb", "ccc-dddd-eeee", long}[rng.IntN(4)])),
					orNull(rng, table.Dec(int64(rng.IntN(100000)), 2)))})
			}
		}
		for range 60 + rng.IntN(140) {
			k := table.Int(int64(rng.IntN(10))) // 8, 9: never a unique row
			if rng.IntN(8) == 0 {
				k = table.Value{}
			}
			evs = append(evs, ev{false, table.NewRow(k, orNull(rng, table.Int(int64(rng.IntN(6)))), // few prices: ties
				// Few times too (ties on both sort keys), some past the
				// unique rows' bounds.
				orNull(rng, table.Timestamp(int64(rng.IntN(12)*9), int32(rng.IntN(2))*500_000)),
				orNull(rng, table.Str([]string{"u", "vv", "wwww-xxxx-zzzz", long}[rng.IntN(4)])),
				orNull(rng, table.Float(rng.Float64())))})
		}
		rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		uniqueLeftSide := seed%2 == 0
		withCond := seed%3 != 0
		withFilter := seed%4 == 1
		lazy := seed%5 < 3
		n := int64(1 + rng.IntN(3))
		tiesToNew := seed%5 == 3
		cacheMax := []int{0, 2}[rng.IntN(2)]
		// A byte bound that evicts others (and an entry alone too big:
		// the rows with 300-byte strings).
		cacheBytes := []int{0, 200, 1000}[rng.IntN(3)]
		compact := seed%7 != 3
		order := []SortKey{{Col: 2, Desc: true}, {Col: 3, NullsFirst: true}}
		if seed%3 == 2 {
			order = append(order, SortKey{Col: 4})
		}
		x := &TopN{N: n, Order: order, Func: RowNumber, TiesToNew: tiesToNew, WindowEnd: -1}
		var ops []ckOp
		for i, e := range evs {
			ops = append(ops, ckOp{kind: 0, ts: int64(i), row: e.row, left: e.unique == uniqueLeftSide})
			if rng.IntN(15) == 0 {
				ops = append(ops, ckOp{kind: 2 + rng.IntN(2)})
			}
		}
		// sides returns the unique row's and the other row's fields of a pair.
		sides := func(pair []table.Value) (u, b []table.Value) {
			if uniqueLeftSide {
				return pair[:len(uTypes)], pair[len(uTypes):]
			}
			return pair[len(bTypes):], pair[:len(bTypes)]
		}
		cond := func(r *table.Row) (bool, error) {
			u, b := sides(r.Fields)
			return within(u, b), nil
		}
		// The Calc, as programs over the pair.
		col := func(unique bool, i int) expr.Program {
			return func(r *table.Row) (table.Value, error) {
				u, b := sides(r.Fields)
				if unique {
					return u[i], nil
				}
				return b[i], nil
			}
		}
		calc := &joinRankCalc{lazy: lazy, progs: []expr.Program{col(true, 0), col(true, 3), col(false, 1), col(false, 2), col(false, 3), col(true, 4), col(false, 4)}}
		for _, k := range order {
			calc.order = append(calc.order, k.Col)
		}
		if withFilter {
			calc.preds = []func(*table.Row) (bool, error){func(r *table.Row) (bool, error) {
				_, b := sides(r.Fields)
				return !b[3].IsNull() && b[3].String() != "vv", nil
			}}
		}
		lc, rc, nl, nr := uc, bc, len(uTypes), len(bTypes)
		var lnull, rnull func(table.Row) bool = hasNull, hasNull
		unique := uniqueLeft
		if !uniqueLeftSide {
			lc, rc, nl, nr = bc, uc, len(bTypes), len(uTypes)
			unique = uniqueRight
		}
		// The unfused plan: the join's pairs (with their timestamps), the
		// Calc, then the Top-N keyed by the partition (u.id).
		pairs := &rowsOut{}
		driveWithCheckpoints(t, ops, false, func(rt *operator.Runtime) ckDriven {
			f := &regularJoinFn{lc: lc, rc: rc, nl: nl, nr: nr, lnull: lnull, rnull: rnull, unique: unique}
			if withCond {
				f.cond = cond
			}
			kp := &operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]{Key1: key('L'), Key2: key('R'), KeyCodec: codec.For[string](), Fn: f, Out: pairs}
			if err := kp.Open(rt); err != nil {
				t.Fatal(err)
			}
			in1, in2 := kp.Input1(), kp.Input2()
			return ckDriven{kp, func(o ckOp) {
				if o.left {
					in1.Collect(o.ts, o.row)
				} else {
					in2.Collect(o.ts, o.row)
				}
			}}
		})
		var rankOps []ckOp
		full := &joinRankCalc{preds: calc.preds, progs: calc.progs} // eager: every pair
		for i, p := range pairs.rows {
			c, ok, err := full.eval(&p, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				rankOps = append(rankOps, ckOp{kind: 0, ts: pairs.ts[i], row: table.Row{Fields: c}})
			}
		}
		want := runWithCheckpoints(t, rankOps, func(r table.Row) string { return r.Fields[0].String() }, false,
			func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
				return &appendOnlyRowNumber{x: x, rc: oc}
			})
		// The top rows' stored columns as the planner derives them
		// (joinRankStored): the Calc's outputs as columns of the pair.
		colsOf := func(ts []table.Type) []Col {
			cs := make([]Col, len(ts))
			for i, ty := range ts {
				cs[i] = Col{Name: "c", Type: ty}
			}
			return cs
		}
		uNode, bNode := &Scan{cols: colsOf(uTypes)}, &Scan{cols: colsOf(bTypes)}
		j := &RegularJoin{Kind: "INNER", L: uNode, R: bNode}
		uOff, bOff := 0, len(uTypes)
		if !uniqueLeftSide {
			j.L, j.R = bNode, uNode
			uOff, bOff = len(bTypes), 0
		}
		fc := fusedCalc{in: j}
		for i, o := range []struct {
			unique bool
			col    int
		}{{true, 0}, {true, 3}, {false, 1}, {false, 2}, {false, 3}, {true, 4}, {false, 4}} {
			c := &expr.Column{Index: bOff + o.col, T: outTypes[i]}
			if o.unique {
				c.Index = uOff + o.col
			}
			fc.exprs = append(fc.exprs, c)
		}
		ufrom, keptTypes := joinRankStored(fc, j, unique, colsOf(outTypes))
		// The top rows keep only the other side's columns (u.id,
		// u.name and u.amount from the unique row).
		if !slices.Equal(ufrom, []int{0, 3, -1, -1, -1, 4, -1}) || len(keptTypes) != 4 {
			t.Fatalf("seed %d (unique left %v): joinRankStored: %v, %d kept", seed, uniqueLeftSide, ufrom, len(keptTypes))
		}
		whole := []int{-1, -1, -1, -1, -1, -1, -1}
		fused := func(compact bool) []string {
			return runCoKeysWithCheckpoints(t, ops, key('L'), key('R'), true, func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
				f := &joinRankFn{lc: lc, rc: rc, tc: oc, ufrom: whole, sc: oc, unique: unique, lnull: lnull, rnull: rnull, calc: calc, x: x, cacheMax: cacheMax, cacheBytes: cacheBytes}
				if withCond {
					f.cond = cond
				}
				if compact {
					f.ufrom, f.sc = ufrom, table.NewRowCodecTypes(keptTypes...)
				}
				return f
			})
		}
		var got []string
		if dupU {
			// Not the unfused plan (want above): it is the fused
			// operator keeping whole top rows (ufrom all -1) against the
			// compact one.
			want, got = fused(false), fused(true)
			compact = true
		} else {
			got = fused(compact)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d (unique left %v, condition %v, filter %v, lazy %v, N %d, ties to new %v, cache %d keys %d bytes, compact %v):\n fused %d rows\n%s\n unfused %d rows\n%s",
				seed, uniqueLeftSide, withCond, withFilter, lazy, n, tiesToNew, cacheMax, cacheBytes, compact, len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
		}
		changed += len(want)
	}
	if changed < 100 {
		t.Fatalf("only %d rows emitted over all seeds", changed)
	}
}

// TestJoinRankTopLayout: the top rows' state value keeps, of each row, the
// index of its unique row and the columns that are not a unique row's
// column as it is (joinRankFn.appendTop); reading it back (decodeTop)
// takes those from the entry's unique rows, the one of the index (here
// the second of two), and gives the rows back as they were.
func TestJoinRankTopLayout(t *testing.T) {
	long := strings.Repeat("u", 400)
	// The Calc's row: u.id, b.price, u.name, b.note.
	tc := table.NewRowCodecTypes(table.BigIntType(), table.BigIntType(), table.StringType(), table.StringType())
	f := &joinRankFn{tc: tc, ufrom: []int{0, -1, 1, -1}, sc: table.NewRowCodecTypes(table.BigIntType(), table.StringType())}
	uniq := []table.Row{table.NewRow(table.Int(7), table.Str("other")), table.NewRow(table.Int(7), table.Str(long))}
	rows := []table.Row{
		table.NewRow(table.Int(7), table.Int(30), table.Str(long), table.Str("b1")),
		table.NewRow(table.Int(7), table.Int(20), table.Str("other"), table.Value{}),
	}
	tu := []int{1, 0}
	enc := binary.AppendUvarint(nil, uint64(len(rows)))
	for i, r := range rows {
		b, err := f.appendTop(nil, r, tu[i])
		if err != nil {
			t.Fatal(err)
		}
		enc = binary.AppendUvarint(enc, uint64(len(b)))
		enc = append(enc, b...)
	}
	if bytes.Contains(enc, []byte(long)) {
		t.Fatalf("the top rows' state value (%d bytes) holds the unique row's column", len(enc))
	}
	e := &joinRankEntry{uniq: uniq}
	if err := f.decodeTop(e, enc); err != nil {
		t.Fatal(err)
	}
	if len(e.top) != len(rows) || !slices.Equal(e.topU, tu) {
		t.Fatalf("decoded %d rows, unique rows %v; want %d, %v", len(e.top), e.topU, len(rows), tu)
	}
	for i := range rows {
		if !e.top[i].Equal(rows[i]) {
			t.Fatalf("row %d: decoded %v, want %v", i, e.top[i], rows[i])
		}
	}
	// An index past the entry's unique rows is corrupt state.
	if err := f.decodeTop(&joinRankEntry{uniq: uniq[:1]}, enc); err == nil {
		t.Fatal("a top row of a unique row the entry does not have decoded")
	}
}

// TestJoinRankSparesHoldNoValues: an evicted entry's arrays kept for
// reuse (recycle, giveFields) hold none of its values: a large string of
// an evicted key does not stay reachable outside the cache's bounds.
func TestJoinRankSparesHoldNoValues(t *testing.T) {
	big := strings.Repeat("d", 1<<16)
	f := &joinRankFn{cache: map[string]*joinRankEntry{}, cacheMax: 10, cacheBytes: 1 << 30}
	f.key = "in use"
	for i := range 8 {
		k := string(rune('a' + i))
		f.add(k, &joinRankEntry{
			uniq: []table.Row{table.NewRow(table.Int(int64(i)), table.Str(big+k))},
			top:  []table.Row{table.NewRow(table.Str(big+k), table.Int(1), table.Int(2))},
			pair: []table.Value{table.Str(big + k), table.Int(1), table.Int(2), table.Int(3)},
		})
	}
	for k, e := range f.cache {
		f.evict(k, e)
	}
	arrs := 0
	for _, st := range f.spares {
		for _, a := range st.arrs {
			arrs++
			for _, v := range a {
				if !v.IsNull() {
					t.Fatalf("a spare array of %d values holds a value of kind %v", len(a), v.Kind())
				}
			}
		}
	}
	if arrs != 3*8 {
		t.Fatalf("%d spare arrays, want %d", arrs, 3*8)
	}
}

// TestJoinRankKeptHoldsNoValues: the rows that waited for their unique
// row, decoded into the arrays joinRankFn.kept keeps for the next ones,
// hold no value once paired, and a batch larger than joinRankKeptMax is
// not kept at all; the results are those of a run without that reuse.
func TestJoinRankKeptHoldsNoValues(t *testing.T) {
	uc := table.NewRowCodecTypes(table.BigIntType(), table.StringType())
	bc := table.NewRowCodecTypes(table.BigIntType(), table.BigIntType(), table.StringType())
	oc := table.NewRowCodecTypes(table.BigIntType(), table.BigIntType(), table.StringType())
	key := func(r table.Row) string { return r.Fields[0].String() }
	col := func(i int) expr.Program {
		return func(r *table.Row) (table.Value, error) { return r.Fields[i], nil }
	}
	// The pair: u.id, u.name, b.auction, b.price, b.s; the Calc's row:
	// u.id, b.price, b.s.
	calc := &joinRankCalc{progs: []expr.Program{col(0), col(3), col(4)}, order: []int{1}}
	x := &TopN{N: 2, Order: []SortKey{{Col: 1, Desc: true}}, Func: RowNumber, WindowEnd: -1}
	for _, waiting := range []int{5, joinRankKeptMax + 100} {
		var ops []ckOp
		for k := range 2 {
			for i := range waiting {
				ops = append(ops, ckOp{ts: int64(len(ops)), row: table.NewRow(table.Int(int64(k)), table.Int(int64(i)), table.Str(strings.Repeat("b", 100))), left: false})
			}
			ops = append(ops, ckOp{ts: int64(len(ops)), row: table.NewRow(table.Int(int64(k)), table.Str("u")), left: true})
		}
		var f *joinRankFn
		got := runCoKeysWithCheckpoints(t, ops, key, key, false, func() stream.KeyedCoProcessFunction[string, table.Row, table.Row, table.Row] {
			f = &joinRankFn{lc: uc, rc: bc, tc: oc, ufrom: []int{0, -1, -1}, sc: table.NewRowCodecTypes(table.BigIntType(), table.StringType()), unique: uniqueLeft, calc: calc, x: x}
			return f
		})
		// Prices ascending: each waiting row from the second on enters
		// the top 2 (the first inserted; then -U, +U of rank 1 and +I of
		// rank 2; then -U and +U of each rank).
		if want := 2 * (4 + 4*(waiting-2)); len(got) != want {
			t.Fatalf("%d waiting rows: %d rows emitted, want %d:\n%s", waiting, len(got), want, strings.Join(got, "\n"))
		}
		if waiting > joinRankKeptMax {
			if f.kept != nil {
				t.Fatalf("%d waiting rows: their arrays (%d) kept", waiting, cap(f.kept))
			}
			continue
		}
		if cap(f.kept) < waiting {
			t.Fatalf("%d waiting rows: arrays of %d kept", waiting, cap(f.kept))
		}
		for _, r := range f.kept[:waiting] {
			for _, v := range r.Fields {
				if !v.IsNull() {
					t.Fatalf("a paired waiting row's array holds %v", v)
				}
			}
		}
	}
}
