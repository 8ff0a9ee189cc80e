package planner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// reuseRows is a source of rows (one split per subtask, each every
// par-th row of rows) whose readers allocate a fresh array per Read until
// they are told that they may reuse record memory
// (connector.RecordReuser); from then on every Read builds its rows in
// the array of the Read before. A row kept past its batch (emitted by the
// pre-filter, or one of its Calcs, instead of a copy) then changes: the
// results differ, and under -race the writes race with the reads of the
// goroutines the row was handed to.
type reuseRows struct {
	rows   []table.Row
	splits int
	reused atomic.Int32
}

func (s *reuseRows) Splits(context.Context) ([]connector.Split, error) {
	var out []connector.Split
	for i := range s.splits {
		out = append(out, connector.Split{ID: fmt.Sprint(i), Data: []byte{byte(i)}})
	}
	return out, nil
}
func (s *reuseRows) Bounded() bool { return true }
func (s *reuseRows) Open(_ context.Context, sp connector.Split, _ []byte) (connector.Reader[table.Row], error) {
	return &reuseRowsReader{s: s, next: int(sp.Data[0])}, nil
}

type reuseRowsReader struct {
	s     *reuseRows
	next  int
	reuse bool
	store []table.Value
}

func (r *reuseRowsReader) ReuseRecords() { r.reuse = true; r.s.reused.Add(1) }

func (r *reuseRowsReader) Read(_ context.Context, buf []table.Row) (int, error) {
	buf = buf[:min(len(buf), 7)] // small batches: many of them
	n := 0
	for n < len(buf) && r.next < len(r.s.rows) {
		n++
		r.next += r.s.splits
	}
	if n == 0 {
		return 0, io.EOF
	}
	w := len(r.s.rows[0].Fields)
	if !r.reuse || cap(r.store) < n*w {
		r.store = make([]table.Value, n*w)
	}
	for i := range n {
		src := r.s.rows[r.next-(n-i)*r.s.splits]
		f := r.store[i*w : (i+1)*w : (i+1)*w]
		copy(f, src.Fields)
		buf[i] = table.Row{Kind: src.Kind, Fields: f}
	}
	return n, nil
}
func (r *reuseRowsReader) Position() []byte { return nil }
func (r *reuseRowsReader) Close() error     { return nil }

type emitterFunc func(table.Row)

func (f emitterFunc) Emit(r table.Row) { f(r) }

// testCalc is a Calc over a shared scan as calc.go makes it: its whole
// filter (all), of which the pre-filter checks the simple conjuncts
// (pre, nil: none), and a projection into a fresh row.
type testCalc struct {
	name string
	pre  []func(*table.Row) (bool, error)
	all  []func(*table.Row) (bool, error)
	cols []int
}

func (c testCalc) newFn() stream.ProcessFunc[table.Row, table.Row] {
	row := new(table.Row)
	return func(_ *stream.Context, r table.Row, out stream.Emitter[table.Row]) error {
		*row = r
		for _, p := range c.all {
			if ok, err := p(row); err != nil || !ok {
				return err
			}
		}
		vs := make([]table.Value, len(c.cols))
		for i, k := range c.cols {
			vs[i] = r.Fields[k]
		}
		out.Emit(table.Row{Kind: r.Kind, Fields: vs})
		return nil
	}
}

// The predicates of the tests, over rows (k INT, a BIGINT, s STRING,
// d DOUBLE), each column NULL at times: a NULL operand fails a
// comparison.
func predEq(col int, k int64) func(*table.Row) (bool, error) {
	return func(r *table.Row) (bool, error) {
		v := r.Fields[col]
		return !v.IsNull() && v.AsInt() == k, nil
	}
}

func predGt(col int, k int64) func(*table.Row) (bool, error) {
	return func(r *table.Row) (bool, error) {
		v := r.Fields[col]
		return !v.IsNull() && v.AsInt() > k, nil
	}
}

func predNull(col int) func(*table.Row) (bool, error) {
	return func(r *table.Row) (bool, error) { return r.Fields[col].IsNull(), nil }
}

func predContains(col int, sub string) func(*table.Row) (bool, error) {
	return func(r *table.Row) (bool, error) {
		v := r.Fields[col]
		return !v.IsNull() && strings.Contains(v.AsString(), sub), nil
	}
}

func predDoubleLt(col int, x float64) func(*table.Row) (bool, error) {
	return func(r *table.Row) (bool, error) {
		v := r.Fields[col]
		return !v.IsNull() && v.AsFloat() < x, nil
	}
}

func randomRows(rng *rand.Rand, n int) []table.Row {
	maybe := func(v table.Value) table.Value {
		if rng.IntN(6) == 0 {
			return table.Null
		}
		return v
	}
	words := []string{"", "a", "ab", "bca", "xyz", "aaa"}
	var rows []table.Row
	for range n {
		rows = append(rows, table.Row{Kind: table.Insert, Fields: []table.Value{
			maybe(table.Int(int64(rng.IntN(4)))), maybe(table.Int(rng.Int64N(100) - 20)),
			maybe(table.Str(words[rng.IntN(len(words))])), maybe(table.Float(rng.Float64()*10 - 5)),
		}})
	}
	return rows
}

// randomCalc is a Calc with up to 3 random conjuncts, of which a random
// prefix (maybe none) is the pre-filter's, projecting random columns.
func randomCalc(rng *rand.Rand, name string) testCalc {
	pool := func() func(*table.Row) (bool, error) {
		switch rng.IntN(5) {
		case 0:
			return predEq(0, int64(rng.IntN(5)))
		case 1:
			return predGt(1, rng.Int64N(100)-20)
		case 2:
			return predNull(rng.IntN(4))
		case 3:
			return predContains(2, []string{"a", "b", "z"}[rng.IntN(3)])
		}
		return predDoubleLt(3, rng.Float64()*10-5)
	}
	c := testCalc{name: name}
	for range rng.IntN(4) {
		c.all = append(c.all, pool())
	}
	if k := rng.IntN(len(c.all) + 1); k > 0 {
		c.pre = c.all[:k]
	}
	for range 1 + rng.IntN(4) {
		c.cols = append(c.cols, rng.IntN(4))
	}
	return c
}

// runShared runs the calcs over the rows behind one pre-filter
// (scanShare.prefilter, each Calc's rows on its side output, read by a
// sink that keeps them) and returns what each Calc's output carried.
func runShared(t *testing.T, rows []table.Row, calcs []testCalc, par int) ([][]string, bool) {
	t.Helper()
	env := stream.NewEnvironment(stream.Options{Parallelism: par})
	src := &reuseRows{rows: rows, splits: par}
	st := stream.FromSource(env, src, stream.WatermarkStrategy[table.Row]{}, "rows")
	sh := &scanShare{}
	for i, c := range calcs {
		sh.consumers = append(sh.consumers, &scanConsumer{sh: sh, pre: c.pre, newFn: c.newFn,
			tag: stream.NewOutputTag[table.Row](fmt.Sprintf("calc-%d", i))})
	}
	pf := stream.ProcessEachCopying(st, sh.prefilter)
	sh.s = &pf
	var outs []*stream.Collected[table.Row]
	for _, c := range sh.consumers {
		outs = append(outs, stream.Collect(c.out()))
	}
	if err := env.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := make([][]string, len(calcs))
	for i, o := range outs {
		for _, r := range o.Values() {
			got[i] = append(got[i], r.String())
		}
		slices.Sort(got[i])
	}
	return got, src.reused.Load() > 0
}

// broadcast is what each Calc emits when it reads every row (the rows
// broadcast to every Calc, each applying its whole filter).
func broadcast(t *testing.T, rows []table.Row, calcs []testCalc) [][]string {
	t.Helper()
	want := make([][]string, len(calcs))
	for i, c := range calcs {
		fn := c.newFn()
		for _, r := range rows {
			if err := fn(nil, r, emitterFunc(func(o table.Row) { want[i] = append(want[i], o.String()) })); err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(want[i])
	}
	return want
}

// TestScanPrefilterRoutesAsBroadcast: the pre-filter of a shared scan
// runs each Calc on the rows its simple predicates keep and sends what it
// emits to the Calc's own side output; each output must be what the Calc
// emits when it reads every row (the broadcast it replaced): Calcs with
// disjoint, overlapping and empty predicates, one with no simple
// predicate (every row reaches it), NULLs in every column, at
// parallelism 1 and 2. The source reuses its rows (the pre-filter keeps
// and emits none) and the sinks keep what they are given: a row emitted
// and then rebuilt would differ (and race under -race).
func TestScanPrefilterRoutesAsBroadcast(t *testing.T) {
	fixed := []testCalc{
		{name: "k=0", pre: []func(*table.Row) (bool, error){predEq(0, 0)}, all: []func(*table.Row) (bool, error){predEq(0, 0)}, cols: []int{1, 2}},
		{name: "k=1 and a>10", pre: []func(*table.Row) (bool, error){predEq(0, 1)}, all: []func(*table.Row) (bool, error){predEq(0, 1), predGt(1, 10)}, cols: []int{0, 1, 3}},
		{name: "a>10", pre: []func(*table.Row) (bool, error){predGt(1, 10)}, all: []func(*table.Row) (bool, error){predGt(1, 10)}, cols: []int{1}},
		{name: "a>50", pre: []func(*table.Row) (bool, error){predGt(1, 50)}, all: []func(*table.Row) (bool, error){predGt(1, 50)}, cols: []int{2, 1}},
		{name: "empty k=9", pre: []func(*table.Row) (bool, error){predEq(0, 9)}, all: []func(*table.Row) (bool, error){predEq(0, 9)}, cols: []int{0}},
		{name: "keep all, s has a", all: []func(*table.Row) (bool, error){predContains(2, "a")}, cols: []int{2, 3}},
		{name: "keep all, no filter", cols: []int{3, 2, 1, 0}},
		{name: "s is null", pre: []func(*table.Row) (bool, error){predNull(2)}, all: []func(*table.Row) (bool, error){predNull(2), predDoubleLt(3, 0)}, cols: []int{0, 3}},
	}
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 99))
		rows := randomRows(rng, 200+rng.IntN(400))
		var calcs []testCalc
		if seed < 4 {
			calcs = fixed
		} else {
			for i := range 1 + rng.IntN(5) {
				calcs = append(calcs, randomCalc(rng, fmt.Sprint("random-", i)))
			}
		}
		want := broadcast(t, rows, calcs)
		for par := 1; par <= 2; par++ {
			got, reused := runShared(t, rows, calcs, par)
			if !reused {
				t.Errorf("seed %d, parallelism %d: the source was not told to reuse its rows", seed, par)
			}
			for i := range calcs {
				if !slices.Equal(got[i], want[i]) {
					t.Errorf("seed %d, parallelism %d, Calc %q: %d rows, want %d\ngot  %v\nwant %v", seed, par, calcs[i].name, len(got[i]), len(want[i]), got[i], want[i])
				}
			}
		}
	}
}

// TestScanPrefilterErrors: an error of a pre-filter predicate or of a
// Calc fails the job with it; a Calc's names the Calc.
func TestScanPrefilterErrors(t *testing.T) {
	bad := errors.New("bad")
	fail := func(*table.Row) (bool, error) { return false, bad }
	rows := randomRows(rand.New(rand.NewPCG(1, 2)), 20)
	for _, c := range []testCalc{
		{name: "pre", pre: []func(*table.Row) (bool, error){fail}, all: []func(*table.Row) (bool, error){fail}},
		{name: "calc", all: []func(*table.Row) (bool, error){fail}},
	} {
		env := stream.NewEnvironment(stream.Options{Parallelism: 1})
		st := stream.FromSource(env, &reuseRows{rows: rows, splits: 1}, stream.WatermarkStrategy[table.Row]{}, "rows")
		sh := &scanShare{}
		sh.consumers = []*scanConsumer{{sh: sh, pre: c.pre, newFn: c.newFn, uid: "sql-7-calc", tag: stream.NewOutputTag[table.Row]("calc-0")}}
		pf := stream.ProcessEachCopying(st, sh.prefilter)
		sh.s = &pf
		stream.Collect(sh.consumers[0].out())
		err := env.Execute(context.Background())
		if !errors.Is(err, bad) {
			t.Errorf("%s: error %v, want the predicate's", c.name, err)
		}
		// A Calc's error names the Calc (its would-be UID), not only
		// the pre-filter that ran it.
		if c.name == "calc" && (err == nil || !strings.Contains(err.Error(), "calc sql-7-calc: ")) {
			t.Errorf("%s: error %v, want it to name the Calc sql-7-calc", c.name, err)
		}
	}
}

// TestScanPrefilterAllocatesNothingPerDroppedRow: a row the pre-filter
// drops for every Calc (q8's bids, most rows) costs no allocation: the
// predicates read it through the function's own variable, not a pointer
// to the parameter, and no Calc runs.
func TestScanPrefilterAllocatesNothingPerDroppedRow(t *testing.T) {
	eq := func(r *table.Row) (bool, error) { return r.Fields[0].AsInt() == 0, nil }
	sh := &scanShare{}
	for i := range 2 {
		c := testCalc{pre: []func(*table.Row) (bool, error){eq}, all: []func(*table.Row) (bool, error){eq}, cols: []int{0}}
		sh.consumers = append(sh.consumers, &scanConsumer{sh: sh, pre: c.pre, newFn: c.newFn, tag: stream.NewOutputTag[table.Row](fmt.Sprint("calc-", i))})
	}
	fn := sh.prefilter()
	r := table.Row{Kind: table.Insert, Fields: []table.Value{table.Int(2), table.Str("x")}}
	em := emitterFunc(func(table.Row) {})
	if n := testing.AllocsPerRun(100, func() {
		if err := fn(nil, r, em); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per dropped row, want 0", n)
	}
}
