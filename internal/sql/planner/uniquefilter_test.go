package planner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/operator"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/table"
)

// ufJoin drives one regularJoinFn (the unique side on the left: U rows
// id, category; B rows auction, note) on a heap backend whose state size
// (Heap.SizeBytes) and manual clock the test reads and moves; restore
// starts a new operator on a copy of the state, as a restore from a
// checkpoint does (an empty ucache).
type ufJoin struct {
	t       *testing.T
	newFn   func() *regularJoinFn
	backend *state.Heap
	clock   *base.ManualClock
	kp      *operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]
	out     *sliceOut
}

var (
	ufUTypes = []table.Type{table.BigIntType(), table.BigIntType()}
	ufBTypes = []table.Type{table.BigIntType(), table.StringType()}
)

// ufPass: q20's category = 10.
func ufPass(r *table.Row) (bool, error) {
	return !r.Fields[1].IsNull() && r.Fields[1].AsInt() == 10, nil
}

func newUFJoin(t *testing.T, unique int, ttl time.Duration, filter func(*table.Row) (bool, error)) *ufJoin {
	uc, bc := table.NewRowCodecTypes(ufUTypes...), table.NewRowCodecTypes(ufBTypes...)
	hasNull := func(r table.Row) bool { return r.Fields[0].IsNull() }
	j := &ufJoin{t: t, out: &sliceOut{}, clock: base.NewManualClock(time.UnixMilli(0)),
		backend: state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})}
	j.newFn = func() *regularJoinFn {
		f := &regularJoinFn{lc: uc, rc: bc, nl: len(ufUTypes), nr: len(ufBTypes), opts: ttlOptsOf(ttl),
			lnull: hasNull, rnull: hasNull, unique: unique}
		if unique != uniqueNone {
			f.ufilter = filter
		}
		return f
	}
	j.open(nil)
	return j
}

func (j *ufJoin) open(restored *operator.Restored) {
	key := func(side string) func(table.Row) string {
		return func(r table.Row) string {
			if r.Fields[0].IsNull() {
				return "N" + side
			}
			return r.Fields[0].String()
		}
	}
	j.kp = &operator.KeyedCoProcess[string, table.Row, table.Row, table.Row]{Key1: key("L"), Key2: key("R"),
		KeyCodec: codec.For[string](), Fn: j.newFn(), Out: j.out}
	if err := j.kp.Open(&operator.Runtime{Ctx: context.Background(), Name: "join", Parallelism: 1,
		MaxParallelism: base.DefaultMaxParallelism, KeyGroups: j.backend.KeyGroups(),
		Clock: j.clock, State: j.backend, Metrics: &operator.Metrics{}, Restored: restored}); err != nil {
		j.t.Fatal(err)
	}
}

// restore: the keyed state through AppendGroup/RestoreGroup into a new
// heap and a new operator on it.
func (j *ufJoin) restore() {
	if _, err := j.kp.SnapshotState(1); err != nil {
		j.t.Fatal(err)
	}
	timers := j.kp.SnapshotTimers()
	nb := state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
	for kg := range base.DefaultMaxParallelism {
		if err := state.RestoreGroup(nb, kg, state.AppendGroup(nil, j.backend, kg)); err != nil {
			j.t.Fatal(err)
		}
	}
	j.backend = nb
	j.open(&operator.Restored{CheckpointID: 1, Timers: timers})
}

func (j *ufJoin) u(id, cat int64) {
	j.kp.Input1().Collect(0, table.NewRow(table.Int(id), table.Int(cat)))
}

func (j *ufJoin) b(id int64, note string) {
	j.kp.Input2().Collect(0, table.NewRow(table.Int(id), table.Str(note)))
}

func (j *ufJoin) size() int64 { return j.backend.SizeBytes() }

// TestRegularJoinUniqueFilterDropsClosedKeys checks the state of the
// fused unique-side filter (regularJoinFn.ufilter), not only its output:
// a unique row the filter rejects leaves its key's marker and nothing
// else (the other side's rows stored before it are gone: the state is
// the size of the marker alone), and rows of the other side after it are
// not stored (the size does not move), with and without state TTL
// (without: through the ucache, and after a restore, which empties it,
// through the marker). It fails without other.Clear() on a marker and
// without the marker (own.Add(nil)).
func TestRegularJoinUniqueFilterDropsClosedKeys(t *testing.T) {
	note := strings.Repeat("n", 200)
	for _, ttl := range []time.Duration{0, time.Hour} {
		// The state of a join that saw only the rejected row: its
		// marker (and a key's entry), more than nothing.
		m := newUFJoin(t, uniqueLeft, ttl, ufPass)
		m.u(1, 3)
		marker := m.size()
		if marker <= 0 {
			t.Fatalf("TTL %v: the state after a rejected unique row is %d bytes, want a marker", ttl, marker)
		}

		j := newUFJoin(t, uniqueLeft, ttl, ufPass)
		for range 20 {
			j.b(1, note)
		}
		if before := j.size(); before < 20*200 {
			t.Fatalf("TTL %v: 20 rows of 200 bytes stored in %d bytes", ttl, before)
		}
		j.u(1, 3) // rejected: closes key 1
		if got := j.size(); got != marker {
			t.Fatalf("TTL %v: after the rejected unique row the state is %d bytes, want the marker's %d (the other side's rows cleared)", ttl, got, marker)
		}
		for range 20 {
			j.b(1, note)
		}
		if got := j.size(); got != marker {
			t.Fatalf("TTL %v: rows of a closed key stored: %d bytes, want %d", ttl, got, marker)
		}
		j.restore() // an empty ucache: the marker alone closes the key
		for range 20 {
			j.b(1, note)
		}
		if got := j.size(); got != marker {
			t.Fatalf("TTL %v: after a restore, rows of a closed key stored: %d bytes, want %d", ttl, got, marker)
		}
		// An accepted key pairs and stores as before.
		j.b(2, "x")
		j.u(2, 10)
		j.b(2, "y")
		if want := []string{"0 +I(2, 10, 2, 'x')", "0 +I(2, 10, 2, 'y')"}; !slices.Equal(j.out.rows, want) {
			t.Fatalf("TTL %v: output %v, want %v", ttl, j.out.rows, want)
		}
	}
}

// TestRegularJoinUniqueFilterMarkerExpires: with state TTL the marker of
// a closed key expires as the rejected row would have (the general
// mode's state would hold no row of it: the Calc below the join dropped
// it). Both modes run the same rows under the same manual clock, the
// general one without the rejected unique row (what the Calc passes).
// Before the TTL the unique mode stores no row of the closed key; the
// clock moved past the TTL, it stores them again as the general mode
// does (their states grow by the same bytes, less the expired marker's
// entry in the unique mode), and the outputs are equal.
func TestRegularJoinUniqueFilterMarkerExpires(t *testing.T) {
	const ttl = time.Hour
	note := strings.Repeat("n", 200)
	uq := newUFJoin(t, uniqueLeft, ttl, ufPass)
	gen := newUFJoin(t, uniqueNone, ttl, nil)
	both := func(f func(j *ufJoin)) { f(uq); f(gen) }
	uq.u(1, 3) // rejected: the general mode never sees it
	both(func(j *ufJoin) { j.u(2, 10) })
	closed := uq.size()
	both(func(j *ufJoin) { j.b(2, "a") })
	uq.b(1, note) // the general mode's would be stored forever
	if uq.size() != closed {
		t.Fatalf("before the TTL, a row of a closed key stored: %d -> %d bytes", closed, uq.size())
	}
	both(func(j *ufJoin) { j.clock.Advance(ttl + time.Minute) })
	u0, g0 := uq.size(), gen.size()
	both(func(j *ufJoin) {
		for range 5 {
			j.b(1, note) // the marker expired: stored, as in the general mode
		}
	})
	// The unique mode's key 1 held the marker's entry (the state of a
	// join that saw only the rejected row), which the expired list
	// drops; then it holds what the general mode's holds.
	m := newUFJoin(t, uniqueLeft, ttl, ufPass)
	m.u(1, 3)
	du, dg := uq.size()-u0, gen.size()-g0
	if du < 5*200 || du != dg-m.size() {
		t.Fatalf("after the TTL the unique mode's state grew by %d bytes, the general mode's by %d (want that less the marker's %d, at least 1000)", du, dg, m.size())
	}
	both(func(j *ufJoin) { j.b(2, "b"); j.u(3, 10); j.b(3, "c") })
	if !slices.Equal(uq.out.rows, gen.out.rows) {
		t.Fatalf("unique mode %v\ngeneral mode %v", uq.out.rows, gen.out.rows)
	}
	if len(uq.out.rows) != 2 {
		t.Fatalf("output %v: want key 2's pair before the TTL and key 3's", uq.out.rows)
	}
}

// TestRegularJoinUniqueFilterNullKey: a unique row whose join key is NULL
// pairs with nothing and is dropped, but the fused filter runs on it
// first, as the Calc below the join would: an error it raises on such a
// row fails the join as it fails the general plan's Calc.
func TestRegularJoinUniqueFilterNullKey(t *testing.T) {
	boom := errors.New("boom")
	failing := func(r *table.Row) (bool, error) {
		if r.Fields[1].IsNull() {
			return false, boom
		}
		return ufPass(r)
	}
	collect := func(j *ufJoin, r table.Row) (err error) {
		defer func() {
			if p := recover(); p != nil {
				e, ok := p.(error)
				if !ok {
					panic(p)
				}
				err = e
			}
		}()
		j.kp.Input1().Collect(0, r)
		return nil
	}
	for _, ttl := range []time.Duration{0, time.Hour} {
		j := newUFJoin(t, uniqueLeft, ttl, failing)
		if err := collect(j, table.NewRow(table.Value{}, table.Int(3))); err != nil {
			t.Fatalf("TTL %v: a NULL-key row the filter rejects: %v", ttl, err)
		}
		if err := collect(j, table.NewRow(table.Value{}, table.Value{})); !errors.Is(err, boom) {
			t.Fatalf("TTL %v: a NULL-key row the filter fails on: error %v, want %v", ttl, err, boom)
		}
		if j.size() != 0 {
			t.Fatalf("TTL %v: NULL-key rows left %d bytes of state", ttl, j.size())
		}
	}
}
