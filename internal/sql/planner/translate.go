package planner

import (
	"context"
	"fmt"
	"math"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/catalog"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Translate adds the plan of each sink to env: one job with every sink
// (a STATEMENT SET). sinks[i] writes to conns[i] (from CheckSink).
func (p *Planner) Translate(ctx context.Context, env *stream.Environment, sinks []*Sink, conns []connector.Sink[table.Row]) error {
	copts, err := p.compileOptions(env) // clock.go
	if err != nil {
		return err
	}
	tr := &translator{p: p, ctx: ctx, env: env, copts: copts}
	sinks = KeepSharedJoins(sinks) // pushdown.go
	var roots []Node
	for _, s := range sinks {
		roots = append(roots, s.In)
	}
	tr.share(roots...)     // share.go
	tr.noteRanks(roots...) // joinrank.go
	tr.planScans(roots...) // scanshare.go
	for i, s := range sinks {
		in, err := tr.build(s.In)
		if err != nil {
			return err
		}
		// 'sink.parallelism' (sinkpar.go), decided on the input as built.
		d, err := p.distribute(s, in.Parallelism())
		if err != nil {
			return err
		}
		if d.Parallelism > env.MaxParallelism() {
			return &Error{Line: s.Pos.Line, Col: s.Pos.Col, Msg: fmt.Sprintf("table `%s` (connector '%s'): option '%s' is '%d', above the job's max parallelism %d (its number of key groups); lower '%s' to at most %d",
				s.Table.Name, s.Table.Connector, connector.OptSinkParallelism, d.Parallelism, env.MaxParallelism(), connector.OptSinkParallelism, env.MaxParallelism())}
		}
		mk, err := p.materializeKeys(s) // sinkmat.go
		if err != nil {
			return err
		}
		switch {
		case mk != nil:
			// Keyed by the primary key at the sink's parallelism (the
			// job's when 'sink.parallelism' is not set); the sink reads
			// it forward: a rebalance between them would reorder a
			// key's rows.
			par := d.Parallelism
			if par == 0 {
				par = env.Parallelism()
			}
			if in, err = tr.materialize(i, s.Table.Name, s.In, in, mk, par); err != nil {
				return err
			}
		case d.Keys != nil:
			keyFn, _ := keyOf(s.In, d.Keys)
			in = stream.KeyBy(in, keyFn).Stream()
		}
		out := stream.SinkTo(in, conns[i], fmt.Sprintf("sink:%s", s.Table.Name)).UID(fmt.Sprintf("sql-sink-%d-%s", i, s.Table.Name))
		if d.Parallelism > 0 {
			out.SetParallelism(d.Parallelism)
		}
	}
	return nil
}

// TranslateTo adds the plan of a query writing to sink (a bare SELECT).
func (p *Planner) TranslateTo(ctx context.Context, env *stream.Environment, n Node, sink connector.Sink[table.Row]) error {
	copts, err := p.compileOptions(env) // clock.go
	if err != nil {
		return err
	}
	tr := &translator{p: p, ctx: ctx, env: env, copts: copts}
	tr.share(n)
	tr.noteRanks(n) // joinrank.go
	tr.planScans(n)
	in, err := tr.build(n)
	if err != nil {
		return err
	}
	stream.SinkTo(in, sink, "sink:select").UID("sql-sink-select")
	return nil
}

type translator struct {
	p   *Planner
	ctx context.Context
	env *stream.Environment
	// copts: the options every expression is compiled with (the job's
	// clock and the session time zone; clock.go).
	copts []expr.Option
	n     int // operators so far, for UIDs
	// pushedN: the operators of Calcs that filter push-down added
	// (pushdown.go), numbered apart (sql-pushed-<n>-calc).
	pushedN int
	// castN: the operators of Calcs of implicit casts only (calc.go),
	// numbered apart (sql-cast-<n>-calc).
	castN int
	sh    *sharing
	scans map[Node]*scanShare // shared projected scans (scanshare.go)
	// joinPost: the filters of the Calc over an inner window join that
	// the join applies before it builds a pair (calc.go, windowjoin.go).
	joinPost map[*WindowJoin][]func(*table.Row) (bool, error)
	// joinCap: the width of the rows the Calc over a regular join writes
	// into the join's pairs (calc.go): the join allocates its pairs with
	// that capacity, so the Calc's wider rows need no allocation.
	joinCap map[*RegularJoin]int
	// prefilters: the pre-filter operators added so far (scanshare.go),
	// which plans before them did not have: the window-max join's route
	// keeps the default UID it had then (windowmaxjoin.go).
	prefilters int
	// fusedCalcs: the Calcs over shared scans that their pre-filters run
	// (scanshare.go), which plans before them made operators of.
	fusedCalcs int
	// building: the nodes being built, innermost last (build); the last
	// is the node whose operators tr.uid names.
	building []Node
	// rankParents, underCalc: the job's plans as joinRankFor reads them
	// (noteRanks, joinrank.go).
	rankParents map[Node]int
	underCalc   map[*TopN]bool
}

// uid returns the UID of the next operator, of kind kind, and gives it the
// state signature of its kind and the node being built (signature.go).
func (tr *translator) uid(kind string) string {
	tr.n++
	uid := fmt.Sprintf("sql-%d-%s", tr.n, kind)
	var n Node
	if len(tr.building) > 0 {
		n = tr.building[len(tr.building)-1]
	}
	if sig := signature(kind, n); sig != "" {
		tr.env.SetStateSignature(uid, sig)
	}
	return uid
}

// evalPanic carries an evaluation error out of a function the stream API
// does not let return one (aggregators); the engine reports it as the
// operator's failure.
func evalPanic(err error) {
	if err != nil {
		panic(err)
	}
}

// buildPair builds the two inputs of a two-input node, left first (UIDs
// are numbered in build order).
func (tr *translator) buildPair(left, right Node) (l, r stream.Stream[table.Row], err error) {
	if l, err = tr.build(left); err != nil {
		return l, r, err
	}
	r, err = tr.build(right)
	return l, r, err
}

func (tr *translator) build(n Node) (stream.Stream[table.Row], error) {
	tr.building = append(tr.building, n)
	defer func() { tr.building = tr.building[:len(tr.building)-1] }()
	if s, ok, err := tr.buildShared(n); ok {
		return s, err
	}
	var zero stream.Stream[table.Row]
	switch x := n.(type) {
	case *Scan:
		f, ok := tr.p.Factories[x.Table.Connector].(connector.TableSourceFactory)
		if !ok {
			return zero, fmt.Errorf("connector '%s' of table `%s` cannot be read (it is a sink only)", x.Table.Connector, x.Table.Name)
		}
		pf, err := newPartFilter(x, tr.copts) // partprune.go
		if err != nil {
			return zero, fmt.Errorf("table `%s`: partition filter: %w", x.Table.Name, err)
		}
		tc, err := tr.sourceContext(x.Table)
		if err != nil {
			return zero, err
		}
		tc.PartitionKeys, tc.PartitionFilter = partitionKeys(x.Table), pf
		src, err := f.TableSource(tr.ctx, tc)
		if err != nil {
			return zero, connErr(x.Table, err)
		}
		var wm stream.WatermarkStrategy[table.Row]
		if c, ok := x.Rowtime.(*expr.Column); ok {
			// A physical rowtime column: read it, no evaluation per row.
			i := c.Index
			wm = stream.WatermarkStrategy[table.Row]{Enabled: true, OutOfOrderness: x.OutOfOrderness,
				Timestamp: func(r table.Row) int64 {
					if v := r.Fields[i]; !v.IsNull() {
						ms, _ := v.AsTimestamp()
						return ms
					}
					return math.MinInt64
				}}
		} else if x.Rowtime != nil {
			prog, err := expr.Compile(x.Rowtime, tr.copts...)
			if err != nil {
				return zero, err
			}
			wm = stream.WatermarkStrategy[table.Row]{Enabled: true, OutOfOrderness: x.OutOfOrderness,
				Timestamp: func(r table.Row) int64 {
					v, err := prog(&r)
					if err != nil || v.IsNull() {
						return math.MinInt64
					}
					ms, _ := v.AsTimestamp()
					return ms
				}}
		}
		return tr.scanParallelism(x.Table, stream.FromSource(tr.env, src, wm, "scan:"+x.Table.Name).UID(tr.uid("scan-"+x.Table.Name))), nil
	case *Calc:
		return tr.calc(x) // calc.go
	case *Union:
		var ss []stream.Stream[table.Row]
		for _, i := range x.Ins {
			s, err := tr.build(i)
			if err != nil {
				return zero, err
			}
			ss = append(ss, s)
		}
		u := ss[0].Union(ss[1:]...)
		if tr.castN > 0 {
			// The union's UID is by its node's number (stateless): the
			// operators of implicit casts made before it (sql-cast-<n>),
			// which plans of types that needed no cast did not have, do
			// not shift it either.
			u = u.UID(fmt.Sprintf("union-%d", u.ID()-tr.castN))
		}
		return u, nil
	case *WindowAgg:
		return tr.windowAgg(x)
	case *GroupAgg:
		return tr.groupAgg(x)
	case *TopN:
		return tr.topN(x)
	case *Deduplicate:
		return tr.dedup(x)
	case *IntervalJoin:
		return tr.intervalJoin(x)
	case *RegularJoin:
		return tr.regularJoin(x)
	}
	if x, ok := n.(selfTranslating); ok {
		return x.translate(tr)
	}
	return zero, fmt.Errorf("planner: cannot translate %T", n)
}

// keyOf returns the function of a row's grouping key: the key columns
// encoded with a RowCodec (equal keys encode equally), as a string.
func keyOf(in Node, keys []int) (func(table.Row) string, *table.RowCodec) {
	var types []table.Type
	for _, k := range keys {
		types = append(types, in.Cols()[k].Type)
	}
	c := table.NewRowCodecTypes(types...)
	slow := func(r table.Row) string {
		if len(keys) == 0 {
			return ""
		}
		var arr [4]table.Value // on the stack for short keys
		vs := arr[:0]
		for _, k := range keys {
			vs = append(vs, r.Fields[k])
		}
		b, err := c.AppendRow(nil, table.Row{Fields: vs})
		evalPanic(err)
		return string(b)
	}
	if fast := fastKeyOf(types, keys, slow); fast != nil { // key.go
		return fast, c
	}
	return slow, c
}

// joinKeyOf is keyOf for the equi-join keys of one side of a join. SQL's
// `=` is never true when an operand is NULL, so a row with a NULL in its key
// matches no row of the other side (Flink drops it from an inner side and
// pads it on an outer side). Its key is its encoded key followed by side
// ('L' or 'R'): the RowCodec encoding of the key columns is self-delimiting,
// so no key without a NULL equals it, and the NULL keys of the two sides
// differ. hasNull reports whether a row's key has a NULL (nil when no key
// column is nullable).
//
// A key compared by IS NOT DISTINCT FROM (nullSafe[i]; nil: none) is
// NULL-safe: its NULL is an ordinary value of the plain encoded key, so it
// pairs with the other side's NULL, and hasNull ignores it.
func joinKeyOf(in Node, keys []int, nullSafe []bool, side byte) (key func(table.Row) string, hasNull func(table.Row) bool) {
	base, _ := keyOf(in, keys)
	var strict []int // the keys compared by =
	for i, k := range keys {
		if (i >= len(nullSafe) || !nullSafe[i]) && in.Cols()[k].Type.Nullable() {
			strict = append(strict, k)
		}
	}
	if len(strict) == 0 {
		return base, nil
	}
	if len(keys) == 1 && table.KindOf(in.Cols()[keys[0]].Type) == table.KindInt {
		// One BIGINT-like key, nullable (most equi-joins): one function
		// reads the column once, with the side's NULL key made here; the
		// same keys as the general case below (intKeyOf's NULL key is
		// base's, nullIntKey).
		k := keys[0]
		return intKeyOf(k, base, nullIntKey+string(side)), func(r table.Row) bool { return r.Fields[k].IsNull() }
	}
	hasNull = func(r table.Row) bool {
		for _, k := range strict {
			if r.Fields[k].IsNull() {
				return true
			}
		}
		return false
	}
	return func(r table.Row) string {
		if hasNull(r) {
			return base(r) + string(side)
		}
		return base(r)
	}, hasNull
}

// keyOp is the operator of join key i in an explanation.
func keyOp(nullSafe []bool, i int) string {
	if i < len(nullSafe) && nullSafe[i] {
		return "IS NOT DISTINCT FROM"
	}
	return "="
}

// accs is the layout of the accumulators of an aggregation in one row.
type accs struct {
	aggs  []AggCall
	off   []int
	types []table.Type
	codec *table.RowCodec
}

func newAccs(aggs []AggCall, extra ...table.Type) *accs {
	a := &accs{aggs: aggs}
	for _, c := range aggs {
		a.off = append(a.off, len(a.types))
		a.types = append(a.types, c.F.AccTypes()...)
	}
	a.off = append(a.off, len(a.types))
	a.types = append(a.types, extra...)
	a.codec = table.NewRowCodecTypes(a.types...)
	return a
}

func (a *accs) init() table.Row {
	r := table.Row{Fields: make([]table.Value, len(a.types))}
	for i, c := range a.aggs {
		c.F.Init(r.Fields[a.off[i]:a.off[i+1]])
	}
	return r
}

// initTo initialises the accumulators in acc (len(a.types) values).
func (a *accs) initTo(acc []table.Value) {
	for i, c := range a.aggs {
		c.F.Init(acc[a.off[i]:a.off[i+1]])
	}
}

// addTo is add without an allocation per row: the arguments of each
// aggregate are gathered into args (returned for the next call; the
// aggregates copy what they keep).
func (a *accs) addTo(acc []table.Value, r table.Row, args []table.Value) ([]table.Value, error) {
	for i, c := range a.aggs {
		if c.Filter >= 0 && !r.Fields[c.Filter].AsBool() {
			continue
		}
		args = args[:0]
		for _, k := range c.Args {
			args = append(args, r.Fields[k])
		}
		if err := c.F.Add(acc[a.off[i]:a.off[i+1]], args); err != nil {
			return args, fmt.Errorf("%s: %w", c.Text, err)
		}
	}
	return args, nil
}

func (a *accs) args(c AggCall, r table.Row) []table.Value {
	vs := make([]table.Value, len(c.Args))
	for i, k := range c.Args {
		vs[i] = r.Fields[k]
	}
	return vs
}

func (a *accs) add(acc, r table.Row, retract bool) error {
	for i, c := range a.aggs {
		if c.Filter >= 0 && !r.Fields[c.Filter].AsBool() {
			continue
		}
		var err error
		if retract {
			err = c.F.Retract(acc.Fields[a.off[i]:a.off[i+1]], a.args(c, r))
		} else {
			err = c.F.Add(acc.Fields[a.off[i]:a.off[i+1]], a.args(c, r))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.Text, err)
		}
	}
	return nil
}

// appendResults appends the aggregates' results of acc to dst.
func (a *accs) appendResults(dst []table.Value, acc table.Row) ([]table.Value, error) {
	for i, c := range a.aggs {
		v, err := c.F.Result(acc.Fields[a.off[i]:a.off[i+1]])
		if err != nil {
			return dst, fmt.Errorf("%s: %w", c.Text, err)
		}
		dst = append(dst, v)
	}
	return dst, nil
}

func (a *accs) results(acc table.Row) ([]table.Value, error) {
	vs := make([]table.Value, len(a.aggs))
	for i, c := range a.aggs {
		v, err := c.F.Result(acc.Fields[a.off[i]:a.off[i+1]])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Text, err)
		}
		vs[i] = v
	}
	return vs, nil
}

// groupRow applies one input row r to a key's accumulators acc of a group
// aggregation, whose field cnt counts the key's rows; has says whether
// the key has accumulators (acc is ignored when not). It returns them
// and whether the key still has any: a retraction of a key without
// accumulators is dropped, and a key whose count drops to 0 has none
// (its state is to be cleared). The per-row operator (translate.go) and
// the mini-batch one (groupagg_batch.go) both apply rows through it.
func (s *groupState) groupRow(acc table.Row, has bool, cnt int, r table.Row) (table.Row, bool, error) {
	a := s.g.a
	retract := r.Kind.IsRetract()
	if !has {
		if retract {
			return acc, false, nil // nothing to retract from
		}
		acc = a.init()
		acc.Fields[cnt] = table.Int(0)
		s.clear() // DISTINCT views left by an expired accumulator
	}
	n := acc.Fields[cnt].AsInt()
	if retract {
		n--
	} else {
		n++
	}
	if err := s.apply(acc, r, retract); err != nil {
		return acc, false, err
	}
	if n <= 0 {
		s.clear() // the group is gone: so are its DISTINCT views
		return acc, false, nil
	}
	acc.Fields[cnt] = table.Int(n)
	return acc, true, nil
}

// groupEmit writes a key's accumulators back after rows were applied
// (groupRow) and emits the change of its result row: had and prev are
// whether the key had accumulators before and their results, has and acc
// the same after; keysOf is the row whose key columns (keys) the output
// carries. +I for a new key, -U/+U when the result changed (nothing when
// not), -D when the key's last row was retracted.
func groupEmit(a *accs, st *stream.ValueState[[]byte], keys []int, keysOf table.Row, acc table.Row, had, has bool, prev []table.Value, out stream.Emitter[table.Row]) error {
	kv := make([]table.Value, len(keys))
	for i, k := range keys {
		kv[i] = keysOf.Fields[k]
	}
	if !has {
		if had {
			st.Clear()
			out.Emit(table.Row{Kind: table.Delete, Fields: append(kv, prev...)})
		}
		return nil
	}
	nb, err := a.codec.AppendRow(nil, acc)
	if err != nil {
		return err
	}
	st.Set(nb)
	cur, err := a.results(acc)
	if err != nil {
		return err
	}
	if !had {
		out.Emit(table.Row{Kind: table.Insert, Fields: append(kv, cur...)})
		return nil
	}
	if table.NewRow(prev...).Equal(table.NewRow(cur...)) {
		return nil
	}
	out.Emit(table.Row{Kind: table.UpdateBefore, Fields: append(append([]table.Value(nil), kv...), prev...)})
	out.Emit(table.Row{Kind: table.UpdateAfter, Fields: append(kv, cur...)})
	return nil
}

// rowCodec is a codec.Codec[table.Row] over a RowCodec.
type rowCodec struct{ c *table.RowCodec }

func (c rowCodec) Append(dst []byte, r table.Row) []byte {
	b, err := c.c.AppendRow(dst, r)
	evalPanic(err)
	return b
}
func (c rowCodec) Decode(src []byte) (table.Row, error) { return c.c.Decode(src) }

var _ codec.Codec[table.Row] = rowCodec{}

// generalWindowAggFuncs is the window operator's aggregator of a's
// aggregates: the accumulators in a table.Row, encoded with a.codec.
func generalWindowAggFuncs(a *accs) stream.AggregatorFuncs[table.Row, table.Row, table.Row] {
	return stream.AggregatorFuncs[table.Row, table.Row, table.Row]{
		CreateFn: a.init,
		AddFn: func(r, acc table.Row) table.Row {
			evalPanic(a.add(acc, r, false))
			return acc
		},
		MergeFn: func(x, y table.Row) table.Row {
			for i, c := range a.aggs {
				evalPanic(c.F.Merge(x.Fields[a.off[i]:a.off[i+1]], y.Fields[a.off[i]:a.off[i+1]]))
			}
			return x
		},
		ResultFn: func(acc table.Row) table.Row {
			vs, err := a.results(acc)
			evalPanic(err)
			return table.Row{Fields: vs}
		},
		Codec: rowCodec{a.codec},
	}
}

func (tr *translator) windowAgg(x *WindowAgg) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	if s, ok, err := tr.slicedWindowAgg(x); ok || err != nil { // windowslice.go
		return s, err
	}
	in, err := tr.build(x.In)
	if err != nil {
		return zero, err
	}
	if x.In.Updating() {
		return zero, fmt.Errorf("a window aggregation over an updating input is not supported yet")
	}
	keyFn, keyCodec := keyOf(x.In, x.Keys)
	a := newAccs(x.Aggs)
	var assigner stream.WindowAssigner
	switch {
	case x.Proctime:
		assigner = procAssigner(x.Kind, x.Size, x.Slide, x.Offset)
	case x.Kind == "TUMBLE":
		assigner = stream.TumblingEventTimeWindows(x.Size, x.Offset)
	case x.Kind == "HOP":
		assigner = stream.SlidingEventTimeWindows(x.Size, x.Slide, x.Offset)
	case x.Kind == "CUMULATE":
		assigner = cumulate{step: x.Slide.Milliseconds(), size: x.Size.Milliseconds(), offset: x.Offset.Milliseconds()}
	case x.Kind == "SESSION":
		assigner = stream.EventTimeSessionWindows(x.Size)
	}
	ws := stream.KeyBy(in, keyFn).Window(assigner)
	if x.Zone != nil { // winzone.go
		ws = stream.KeyBy(in, keyFn).Window(shiftAssigner{assigner, x.Zone}).Shift(x.Zone)
	}
	// No window buffer (its accumulator, a table.Row, holds pointers, see
	// operator.AggregateBuffer): the buffer would merge partial
	// accumulators at checkpoints, and the aggregates here are those that
	// do not merge exactly (FLOAT/DOUBLE sums, user aggregates: not
	// expr.Mergeable) or run in windows the sliced path does not take;
	// MergeFn is for session windows.
	//
	// All COUNTs in SESSION or processing-time windows: the count path
	// (windowcount.go), int64 accumulators in the same state bytes. Not
	// in event-time TUMBLE/HOP (an offset or a zone: the sliced path
	// takes the others), whose window buffer would take its plain
	// accumulators.
	var res stream.Stream[stream.WindowResult[string, table.Row]]
	if ca, ok := countAggsOf(a); ok && (x.Kind == "SESSION" || x.Proctime) {
		res = stream.WindowAggregateWithWindow(ws, ca.funcs())
	} else {
		res = stream.WindowAggregateWithWindow(ws, generalWindowAggFuncs(a))
	}
	// With a zone, not the UID the plan had before windows took the
	// session zone (the sliced aggregation's, whose state it cannot
	// read): a restore from such a checkpoint says so instead of dropping
	// the open windows.
	res = res.Name("window-aggregate").UID(tr.uid(zoneUIDKind("window-agg", x.Zone)))
	return stream.Process(res, func(_ *stream.Context, w stream.WindowResult[string, table.Row], out stream.Emitter[table.Row]) error {
		var fields []table.Value
		if len(x.Keys) > 0 {
			k, err := keyCodec.Decode([]byte(w.Key))
			if err != nil {
				return err
			}
			fields = append(fields, k.Fields...)
		}
		wt := w.Window.End - 1
		if x.Zone != nil {
			wt = x.Zone.Timestamp(wt)
		}
		fields = append(fields, table.TimestampMillis(w.Window.Start), table.TimestampMillis(w.Window.End), table.TimestampMillis(wt))
		fields = append(fields, w.Value.Fields...)
		out.Emit(table.Row{Kind: table.Insert, Fields: fields})
		return nil
	}).Name("window-output").UID(tr.uid("window-out")), nil
}

// groupAgg is a regular aggregation: per key, the accumulators and the
// count of rows in keyed state; each input row updates them and emits the
// change of the key's result row (+I first, then -U/+U, -D when the count
// drops to 0), nothing when the result did not change.
func (tr *translator) groupAgg(x *GroupAgg) (stream.Stream[table.Row], error) {
	var zero stream.Stream[table.Row]
	if s, ok, err := tr.joinAgg(x); ok || err != nil { // joinagg.go
		return s, err
	}
	in, err := tr.build(x.In)
	if err != nil {
		return zero, err
	}
	keyFn, _ := keyOf(x.In, x.Keys)
	ttl, err := tr.ttlOpts() // table.exec.state.ttl
	if err != nil {
		return zero, err
	}
	g := newGroupAccs(x.In, x.Aggs, table.BigIntType().NotNull()) // distinctagg.go
	for _, c := range x.Aggs {
		if x.In.Updating() && !c.F.CanRetract() {
			return zero, fmt.Errorf("aggregate %s cannot retract, and its input is updating", c.Text)
		}
	}
	newFn := func() stream.KeyedProcessFunction[string, table.Row, table.Row] {
		if x.MiniBatch.on() {
			return newMiniBatchGroupAgg(g, x, ttl) // groupagg_batch.go
		}
		return perRowGroupAgg(g, x, ttl)
	}
	if x.MiniBatch.on() {
		// The mini-batch aggregation keeps copies (of the rows or of
		// their values), never an input row, and emits rows it builds:
		// the Calc before it may write each row into the last one's
		// memory, and the source its batches.
		return stream.KeyedProcessCopying(stream.KeyBy(in, keyFn), newFn).Name("group-aggregate").UID(tr.uid(ttlUIDKind(g.uidKind("group-agg"), ttl))), nil
	}
	return stream.KeyedProcess(stream.KeyBy(in, keyFn), newFn).Name("group-aggregate").UID(tr.uid(ttlUIDKind(g.uidKind("group-agg"), ttl))), nil
}

// perRowGroupAgg is the per-row GroupAgg operator's function: per key, the
// accumulators and the count of rows in keyed state ("acc"); each input
// row updates them (accs.groupRow) and emits the change of the key's
// result row (groupEmit).
func perRowGroupAgg(g *groupAccs, x *GroupAgg, ttl []stream.StateOption) stream.KeyedProcessFunction[string, table.Row, table.Row] {
	a := g.a
	cnt := len(a.types) - 1
	var st *stream.ValueState[[]byte]
	var gs *groupState
	return stream.KeyedProcessFuncs[string, table.Row, table.Row]{
		OnOpen: func(ctx *stream.OpenContext) error {
			st = stream.NewValueState[[]byte](ctx, "acc", ttl...)
			gs = g.open(ctx, ttl)
			return nil
		},
		OnElement: func(_ *stream.KeyedContext[string], r table.Row, out stream.Emitter[table.Row]) error {
			var acc table.Row
			var err error
			b, ok := st.Get()
			if ok {
				if acc, err = a.codec.Decode(b); err != nil {
					return err
				}
			}
			var prev []table.Value
			if ok {
				if prev, err = a.results(acc); err != nil {
					return err
				}
			}
			acc, has, err := gs.groupRow(acc, ok, cnt, r)
			if err != nil {
				return err
			}
			return groupEmit(a, st, x.Keys, r, acc, ok, has, prev, out)
		},
	}
}

// cumulate assigns the windows of CUMULATE(step, size): within each
// window of size [s, s+size), the windows [s, s+step), [s, s+2*step) ...
// [s, s+size) that contain the timestamp.
type cumulate struct{ step, size, offset int64 }

func (c cumulate) Assign(dst []stream.Window, ts, _ int64) []stream.Window {
	start := ts - (((ts-c.offset)%c.size)+c.size)%c.size
	for end := start + c.step; end <= start+c.size; end += c.step {
		if end > ts {
			dst = append(dst, stream.Window{Start: start, End: end})
		}
	}
	return dst
}
func (cumulate) EventTime() bool { return true }
func (cumulate) Merging() bool   { return false }

// sourceContext is the connector.TableContext of a source of table t:
// its name, physical schema and options, its computed columns (for
// messages), the parallelism its source runs at ('scan.parallelism' or
// the job's), the job's processing-time clock
// and the session time zone.
func (tr *translator) sourceContext(t *catalog.Table) (connector.TableContext, error) {
	tc := connector.TableContext{Name: t.Name, Schema: *t.Physical(), Options: t.Options}
	for _, c := range t.Schema.Columns {
		if c.Computed != "" {
			tc.Computed = append(tc.Computed, c)
		}
	}
	n, err := connector.ScanParallelism(t.Options)
	if err != nil {
		return tc, connErr(t, err)
	}
	if tr.env != nil {
		tc.Parallelism = tr.env.Parallelism()
		tc.NowMillis = tr.env.Clock().NowMillis
	}
	if n > 0 && tr.scansInParallel(t) {
		if tr.env != nil && n > tr.env.MaxParallelism() {
			return tc, fmt.Errorf("table `%s` (connector '%s'): option '%s' is '%d', above the job's max parallelism %d (its number of key groups); lower '%s' to at most %d",
				t.Name, t.Connector, connector.OptScanParallelism, n, tr.env.MaxParallelism(), connector.OptScanParallelism, tr.env.MaxParallelism())
		}
		tc.Parallelism = n
	}
	loc, err := tr.p.Location()
	if err != nil {
		return tc, err
	}
	tc.Location = loc
	return tc, nil
}

// scansInParallel reports whether the factory of t takes
// 'scan.parallelism' (only then is a value of it the table's).
func (tr *translator) scansInParallel(t *catalog.Table) bool {
	f := tr.p.Factories[t.Connector]
	if f == nil {
		return false
	}
	for _, o := range f.Options() {
		if o.Key == connector.OptScanParallelism {
			return true
		}
	}
	return false
}

// scanParallelism runs the source s of table t at the table's
// 'scan.parallelism' when its factory takes that option and it is given
// (the edges after it rebalance when that differs from the job's).
func (tr *translator) scanParallelism(t *catalog.Table, s stream.Stream[table.Row]) stream.Stream[table.Row] {
	if n, err := connector.ScanParallelism(t.Options); err == nil && n > 0 && tr.scansInParallel(t) {
		return s.SetParallelism(n)
	}
	return s
}
