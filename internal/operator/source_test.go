package operator

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/base"
)

// listenSource is an unbounded source of int64s whose readers listen for
// checkpoint-complete notices and emit a dead letter per odd record.
type listenSource struct {
	calls  *[]string
	splits []connector.Split // what Discover returns
	every  time.Duration
}

func (s listenSource) Splits(context.Context) ([]connector.Split, error) { return nil, nil }
func (s listenSource) Bounded() bool                                     { return false }
func (s listenSource) Discover(context.Context) ([]connector.Split, error) {
	return s.splits, nil
}
func (s listenSource) DiscoveryInterval() time.Duration { return s.every }
func (s listenSource) Open(_ context.Context, sp connector.Split, pos []byte) (connector.Reader[int64], error) {
	r := &listenReader{id: sp.ID, calls: s.calls}
	if pos != nil {
		v, _ := binary.Uvarint(pos)
		r.next = int64(v)
	}
	return r, nil
}

type listenReader struct {
	id    string
	next  int64
	calls *[]string
	dead  []connector.DeadLetter
}

func (r *listenReader) Read(_ context.Context, buf []int64) (int, error) {
	if r.next%2 == 1 {
		r.dead = append(r.dead, connector.DeadLetter{Split: r.id, Offset: r.next})
		r.next++
		return 0, nil
	}
	buf[0] = r.next
	r.next++
	return 1, nil
}
func (r *listenReader) Position() []byte { return binary.AppendUvarint(nil, uint64(r.next)) }
func (r *listenReader) Close() error     { return nil }
func (r *listenReader) TakeDeadLetters(buf []connector.DeadLetter) []connector.DeadLetter {
	buf = append(buf, r.dead...)
	r.dead = r.dead[:0]
	return buf
}
func (r *listenReader) CheckpointComplete(_ context.Context, id int64, pos []byte) error {
	v, _ := binary.Uvarint(pos)
	*r.calls = append(*r.calls, fmt.Sprintf("%s@%d=%d", r.id, id, v))
	return nil
}

type collectDL struct{ got []connector.DeadLetter }

func (c *collectDL) Collect(_ int64, d connector.DeadLetter) { c.got = append(c.got, d) }

func newListenSource(t *testing.T, calls *[]string, clock base.Clock, rt *Runtime, src listenSource, splits ...string) *Source[int64] {
	t.Helper()
	s := &Source[int64]{Src: src, Out: Discard[int64]{}, BatchSize: 1}
	for _, id := range splits {
		s.Splits = append(s.Splits, connector.Split{ID: id})
	}
	if rt == nil {
		rt = &Runtime{Ctx: context.Background(), Name: "src", Parallelism: 1, Clock: clock}
	}
	if err := s.Open(rt); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSourceCheckpointNotices: a notice carries the positions of its own
// checkpoint, drops those of older ones (a later notice of them is a
// no-op), and keeps those of newer ones.
func TestSourceCheckpointNotices(t *testing.T) {
	var calls []string
	s := newListenSource(t, &calls, base.SystemClock{}, nil, listenSource{calls: &calls}, "a")
	poll := func() {
		if _, err := s.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	snap := func(id int64) {
		if _, err := s.SnapshotState(id); err != nil {
			t.Fatal(err)
		}
	}
	poll() // position 1
	snap(1)
	poll() // 2 (a dead letter)
	snap(2)
	poll() // 3
	snap(3)
	if err := s.NotifyCheckpointComplete(2); err != nil {
		t.Fatal(err)
	}
	if err := s.NotifyCheckpointComplete(1); err != nil { // superseded: nothing
		t.Fatal(err)
	}
	if err := s.NotifyCheckpointComplete(3); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a@2=2", "a@3=3"}; !slices.Equal(calls, want) {
		t.Fatalf("notices %q, want %q", calls, want)
	}
	if len(s.pendingPos) != 0 {
		t.Fatalf("%d checkpoints' positions left", len(s.pendingPos))
	}
	for id := int64(10); id < 10+2*maxPendingPositions; id++ {
		snap(id)
	}
	if len(s.pendingPos) != maxPendingPositions {
		t.Fatalf("%d checkpoints' positions kept, want at most %d", len(s.pendingPos), maxPendingPositions)
	}
}

// TestSourceDeadLetters: dead letters go to the DeadLetterTag side output
// with the operator's name, and are counted.
func TestSourceDeadLetters(t *testing.T) {
	var calls []string
	dl := &collectDL{}
	rt := &Runtime{Ctx: context.Background(), Name: "src", Parallelism: 1, Clock: base.SystemClock{},
		Sides: map[string]any{DeadLetterTag: Collector[connector.DeadLetter](dl)}}
	s := newListenSource(t, &calls, nil, rt, listenSource{calls: &calls}, "a")
	for range 6 {
		if _, err := s.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(dl.got) != 3 || s.M.DeadLetters != 3 {
		t.Fatalf("%d dead letters emitted, %d counted; want 3", len(dl.got), s.M.DeadLetters)
	}
	for i, d := range dl.got {
		if d.Operator != "src" || d.Offset != int64(2*i+1) {
			t.Fatalf("dead letter %d: %+v", i, d)
		}
	}
}

// TestSourceDiscovery: discovery runs on the runtime clock and opens only
// the splits that are new and owned by the subtask.
func TestSourceDiscovery(t *testing.T) {
	const par = 3
	clock := base.NewManualClock(time.UnixMilli(1_000_000))
	var all []connector.Split
	for i := range 30 {
		all = append(all, connector.Split{ID: fmt.Sprint("s", i)})
	}
	known := map[string]bool{"s0": true, "s1": true, "s2": true}
	opened := map[string]int{}
	for sub := range par {
		var calls []string
		rt := &Runtime{Ctx: context.Background(), Name: "src", Subtask: sub, Parallelism: par, Clock: clock, KnownSplits: known}
		src := listenSource{calls: &calls, splits: all, every: time.Second}
		s := newListenSource(t, &calls, clock, rt, src, fmt.Sprint("s", sub))
		if got := s.NextProcessingTime(); got != clock.NowMillis()+1000 {
			t.Fatalf("next discovery at %d, want %d", got, clock.NowMillis()+1000)
		}
		s.OnProcessingTime(clock.NowMillis() + 999) // not due
		if len(s.readers) != 1 {
			t.Fatalf("subtask %d: %d readers before discovery was due", sub, len(s.readers))
		}
		s.OnProcessingTime(clock.NowMillis() + 1000)
		s.OnProcessingTime(clock.NowMillis() + 2000) // nothing new
		for _, sr := range s.readers {
			opened[sr.split.ID]++
			if sr.split.ID != fmt.Sprint("s", sub) && DiscoveredSplitOwner(sr.split.ID, par) != sub {
				t.Fatalf("subtask %d opened %s, owned by %d", sub, sr.split.ID, DiscoveredSplitOwner(sr.split.ID, par))
			}
		}
	}
	for _, sp := range all {
		if opened[sp.ID] != 1 {
			t.Fatalf("split %s opened %d times", sp.ID, opened[sp.ID])
		}
	}
}

// timedSource is a bounded source of n int64s (0, 1, ...) whose readers
// give record v the timestamp 1000+v (connector.Timestamped), or none when
// plain.
type timedSource struct {
	n     int64
	plain bool
}

func (s timedSource) Splits(context.Context) ([]connector.Split, error) {
	return []connector.Split{{ID: "a"}}, nil
}
func (s timedSource) Bounded() bool { return true }
func (s timedSource) Open(context.Context, connector.Split, []byte) (connector.Reader[int64], error) {
	r := &timedReader{n: s.n}
	if s.plain {
		return plainReader{r}, nil
	}
	return r, nil
}

type timedReader struct{ next, n int64 }

func (r *timedReader) Read(ctx context.Context, buf []int64) (int, error) {
	return r.ReadTimestamped(ctx, buf, make([]int64, len(buf)))
}
func (r *timedReader) ReadTimestamped(_ context.Context, buf []int64, ts []int64) (int, error) {
	k := 0
	for ; k < min(len(buf), 3) && r.next < r.n; k++ {
		buf[k], ts[k] = r.next, 1000+r.next
		r.next++
	}
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}
func (r *timedReader) Position() []byte { return nil }
func (r *timedReader) Close() error     { return nil }

// plainReader hides a reader's timestamps.
type plainReader struct{ r *timedReader }

func (p plainReader) Read(ctx context.Context, buf []int64) (int, error) { return p.r.Read(ctx, buf) }
func (p plainReader) Position() []byte                                   { return nil }
func (p plainReader) Close() error                                       { return nil }

type tsCollector struct{ ts, vs []int64 }

func (c *tsCollector) Collect(ts int64, v int64) { c.ts, c.vs = append(c.ts, ts), append(c.vs, v) }

// TestSourceReaderTime: with WatermarkStrategy.ReaderTime a Timestamped
// reader's times are the records' and the watermark's (Timestamp not
// called), and a reader without them gets Timestamp's; without ReaderTime,
// Timestamp wins; without Timestamp, the reader's times.
func TestSourceReaderTime(t *testing.T) {
	const n = 10
	for _, c := range []struct {
		name              string
		plain, readerTime bool
		assigner          bool
		off               int64 // the records' time is off+v
	}{
		{"reader time", false, true, true, 1000},
		{"reader time, plain reader", true, true, true, 5000},
		{"assigner", false, false, true, 5000},
		{"no assigner", false, false, false, 1000},
	} {
		calls := 0
		wm := WatermarkStrategy[int64]{Enabled: true, OutOfOrderness: 4 * time.Millisecond, ReaderTime: c.readerTime}
		if c.assigner {
			wm.Timestamp = func(v int64) int64 { calls++; return 5000 + v }
		}
		col := &tsCollector{}
		s := &Source[int64]{Src: timedSource{n: n, plain: c.plain}, Out: col, WM: wm, BatchSize: 4, Splits: []connector.Split{{ID: "a"}}}
		if err := s.Open(&Runtime{Ctx: context.Background(), Name: "src", Parallelism: 1, Clock: base.SystemClock{}}); err != nil {
			t.Fatal(err)
		}
		var last SourcePoll
		for range 2 * n {
			p, err := s.Poll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if p.WatermarkAdvanced {
				last = p
			}
			if p.Done {
				break
			}
		}
		if len(col.vs) != n {
			t.Fatalf("%s: %d records, want %d", c.name, len(col.vs), n)
		}
		for i, v := range col.vs {
			if col.ts[i] != c.off+v {
				t.Fatalf("%s: record %d has time %d, want %d", c.name, v, col.ts[i], c.off+v)
			}
		}
		if want := c.off + n - 1 - 4 - 1; last.Watermark != want {
			t.Errorf("%s: watermark %d, want %d", c.name, last.Watermark, want)
		}
		if wantCalls := c.assigner && c.off == 5000; (calls > 0) != wantCalls {
			t.Errorf("%s: the assigner was called %d times", c.name, calls)
		}
	}
}
