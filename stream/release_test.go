package stream_test

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
)

// reuseSource has one split of n records, each a one-element slice holding
// its index. Its reader allocates a fresh backing array per Read until it
// is told it may reuse record memory (connector.RecordReuser); from then
// on every Read overwrites the array of the Read before.
type reuseSource struct {
	n      int64
	reused atomic.Bool // ReuseRecords was called
}

func (s *reuseSource) Splits(context.Context) ([]connector.Split, error) {
	return []connector.Split{{ID: "0"}}, nil
}
func (s *reuseSource) Bounded() bool { return true }
func (s *reuseSource) Open(context.Context, connector.Split, []byte) (connector.Reader[[]int64], error) {
	return &reuseReader{s: s}, nil
}

type reuseReader struct {
	s     *reuseSource
	next  int64
	reuse bool
	store []int64
}

func (r *reuseReader) ReuseRecords() { r.reuse = true; r.s.reused.Store(true) }

func (r *reuseReader) Read(_ context.Context, buf [][]int64) (int, error) {
	k := int(min(int64(len(buf)), r.s.n-r.next))
	if k == 0 {
		return 0, io.EOF
	}
	if !r.reuse || cap(r.store) < k {
		r.store = make([]int64, k)
	}
	for i := range k {
		r.store[i] = r.next
		buf[i] = r.store[i : i+1 : i+1]
		r.next++
	}
	return k, nil
}
func (r *reuseReader) Position() []byte { return nil }
func (r *reuseReader) Close() error     { return nil }

// recordSink collects what it is written: the values (copied) or, with
// keep, the records themselves. release is what its writers answer to
// ReleasesRecords; a writer that keeps records and answers true lies.
type recordSink struct {
	keep, release bool
	mu            sync.Mutex
	vals          []int64
	kept          [][]int64
}

func (s *recordSink) Open(context.Context, connector.SinkInfo) (connector.Writer[[]int64], error) {
	return &recordWriter{s: s}, nil
}

type recordWriter struct{ s *recordSink }

func (w *recordWriter) ReleasesRecords() bool { return w.s.release }
func (w *recordWriter) Write(v []int64, _ int64) error {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if w.s.keep {
		w.s.kept = append(w.s.kept, v)
	} else {
		w.s.vals = append(w.s.vals, v[0])
	}
	return nil
}
func (w *recordWriter) Flush(context.Context) error { return nil }
func (w *recordWriter) Close() error                { return nil }

// values returns what the sink got: for kept records, their contents now.
func (s *recordSink) values() []int64 {
	if !s.keep {
		return s.vals
	}
	var out []int64
	for _, r := range s.kept {
		out = append(out, r[0])
	}
	return out
}

// TestSourceReusesRecordsOnlyWhenReleased runs a source whose reader
// overwrites its records when allowed, through a function into a sink, in
// shapes where everything after the source is done with each record when
// it returns (reuse allowed) and shapes where something keeps records or
// holds them past the call (a sink that keeps them, a function not marked
// releasing, a channel to a subtask of another parallelism): there the
// source must not reuse, and every record arrives intact. A sink that
// claims to release but keeps records shows that reuse does overwrite them
// (what a wrongly allowed reuse would do to a kept row).
func TestSourceReusesRecordsOnlyWhenReleased(t *testing.T) {
	const n = 5000
	cases := []struct {
		name                   string
		releasingFn            bool
		keep, release          bool
		sinkParallelism        int
		wantReuse, wantCorrupt bool
	}{
		{name: "released", releasingFn: true, release: true, wantReuse: true},
		{name: "sink keeps", releasingFn: true, keep: true},
		{name: "function not releasing", release: true},
		{name: "channel between", releasingFn: true, release: true, sinkParallelism: 2},
		{name: "lying sink", releasingFn: true, keep: true, release: true, wantReuse: true, wantCorrupt: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := stream.NewEnvironment(stream.Options{Parallelism: 1})
			src := &reuseSource{n: n}
			in := stream.FromSource(env, src, stream.WatermarkStrategy[[]int64]{}, "src")
			fn := func() stream.ProcessFunc[[]int64, []int64] {
				return func(_ *stream.Context, v []int64, out stream.Emitter[[]int64]) error {
					out.Emit(v) // the record itself, as the SQL Calc's in-place output
					return nil
				}
			}
			var s stream.Stream[[]int64]
			if c.releasingFn {
				s = stream.ProcessEachReleasing(in, fn)
			} else {
				s = stream.ProcessEach(in, fn)
			}
			sink := &recordSink{keep: c.keep, release: c.release}
			out := stream.SinkTo(s, sink, "sink")
			if c.sinkParallelism > 0 {
				out.SetParallelism(c.sinkParallelism)
			}
			if err := env.Execute(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := src.reused.Load(); got != c.wantReuse {
				t.Errorf("reader told to reuse: %v, want %v", got, c.wantReuse)
			}
			got := sink.values()
			if len(got) != n {
				t.Fatalf("%d records, want %d", len(got), n)
			}
			seen := make([]bool, n)
			intact := true
			for _, v := range got {
				if v < 0 || v >= n || seen[v] {
					intact = false
					continue
				}
				seen[v] = true
			}
			if intact == c.wantCorrupt {
				t.Errorf("records intact: %v, want %v", intact, !c.wantCorrupt)
			}
		})
	}
}

// TestSourceReuseOffForFanOutAndSideOutputs: a releasing function whose
// output goes to two sinks (one keeping records) or whose input also goes
// to a side output (kept by its sink) must not let the source reuse
// records; every record the keeping sink holds stays intact. (Found by
// review: with the fan-out claiming to release, 512 distinct records of
// 5000 arrived, and no other test noticed.)
func TestSourceReuseOffForFanOutAndSideOutputs(t *testing.T) {
	const n = 5000
	for _, shape := range []string{"fan-out", "side output"} {
		t.Run(shape, func(t *testing.T) {
			env := stream.NewEnvironment(stream.Options{Parallelism: 1})
			src := &reuseSource{n: n}
			in := stream.FromSource(env, src, stream.WatermarkStrategy[[]int64]{}, "src")
			tag := stream.NewOutputTag[[]int64]("side")
			s := stream.ProcessEachReleasing(in, func() stream.ProcessFunc[[]int64, []int64] {
				return func(ctx *stream.Context, v []int64, out stream.Emitter[[]int64]) error {
					if shape == "side output" {
						tag.Emit(ctx, v)
					}
					out.Emit(v)
					return nil
				}
			})
			stream.SinkTo(s, &recordSink{release: true}, "releasing")
			kept := &recordSink{keep: true}
			if shape == "fan-out" {
				stream.SinkTo(s, kept, "keeping")
			} else {
				stream.SinkTo(stream.SideOutput(s, tag), kept, "keeping")
			}
			if err := env.Execute(context.Background()); err != nil {
				t.Fatal(err)
			}
			if src.reused.Load() {
				t.Error("reader told to reuse records that a second consumer keeps")
			}
			seen := make(map[int64]bool, n)
			for _, v := range kept.values() {
				seen[v] = true
			}
			if len(kept.values()) != n || len(seen) != n {
				t.Errorf("kept sink: %d records, %d distinct, want %d intact", len(kept.values()), len(seen), n)
			}
		})
	}
}

// keyedEcho emits each record it is given (the record itself) or, with
// late, the record given before (kept in a field past the call: what a
// keyed function that breaks the releasing promise does).
type keyedEcho struct {
	late bool
	prev []int64
}

func (f *keyedEcho) Open(*stream.OpenContext) error { return nil }
func (f *keyedEcho) ProcessElement(_ *stream.KeyedContext[int64], v []int64, out stream.Emitter[[]int64]) error {
	if !f.late {
		out.Emit(v)
		return nil
	}
	if f.prev != nil {
		out.Emit(f.prev)
	}
	f.prev = v
	return nil
}
func (f *keyedEcho) OnTimer(*stream.KeyedContext[int64], int64, stream.Emitter[[]int64]) error {
	return nil
}

// TestKeyedProcessReleasing: a keyed process chained after the source (a
// keyBy at parallelism 1) lets the source reuse records only when it is
// built with KeyedProcessReleasing and what it emits to is done with them
// too; not across a channel (the keyed operator at parallelism 2), not into
// a sink that keeps records, not for KeyedProcess. Records arrive intact in
// each of those shapes; a function that claims to release but keeps the
// record before shows that reuse does overwrite a kept record.
func TestKeyedProcessReleasing(t *testing.T) {
	const n = 5000
	cases := []struct {
		name                   string
		releasing, late        bool
		keep                   bool
		parallelism            int
		wantReuse, wantCorrupt bool
	}{
		{name: "released", releasing: true, wantReuse: true},
		{name: "not releasing", releasing: false},
		{name: "sink keeps", releasing: true, keep: true},
		{name: "channel between", releasing: true, parallelism: 2},
		{name: "lying function", releasing: true, late: true, wantReuse: true, wantCorrupt: true},
		{name: "keeping function", releasing: false, late: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := stream.NewEnvironment(stream.Options{Parallelism: 1})
			src := &reuseSource{n: n}
			in := stream.FromSource(env, src, stream.WatermarkStrategy[[]int64]{}, "src")
			ks := stream.KeyBy(in, func(v []int64) int64 { return v[0] % 7 })
			newFn := func() stream.KeyedProcessFunction[int64, []int64, []int64] { return &keyedEcho{late: c.late} }
			var s stream.Stream[[]int64]
			if c.releasing {
				s = stream.KeyedProcessReleasing(ks, newFn)
			} else {
				s = stream.KeyedProcess(ks, newFn)
			}
			if c.parallelism > 0 {
				s.SetParallelism(c.parallelism)
			}
			sink := &recordSink{keep: c.keep, release: !c.keep}
			stream.SinkTo(s, sink, "sink").SetParallelism(1)
			if err := env.Execute(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := src.reused.Load(); got != c.wantReuse {
				t.Errorf("reader told to reuse: %v, want %v", got, c.wantReuse)
			}
			want := n
			if c.late {
				want = n - 1 // the last record is kept, never emitted
			}
			got := sink.values()
			if len(got) != want {
				t.Fatalf("%d records, want %d", len(got), want)
			}
			seen := make([]bool, n)
			intact := true
			for _, v := range got {
				if v < 0 || v >= n || seen[v] {
					intact = false
					continue
				}
				seen[v] = true
			}
			if intact == c.wantCorrupt {
				t.Errorf("records intact: %v, want %v", intact, !c.wantCorrupt)
			}
		})
	}
}

// TestProcessEachCopying: a function added with ProcessEachCopying emits
// copies of its input, so the source before it may reuse records even
// when what follows keeps them (a fan-out to a sink that keeps its
// records, a channel to another subtask): the kept copies arrive intact. A
// function that claims to copy but emits its input (into a keeping sink
// chained after it) shows that the reuse does overwrite what a sink keeps.
func TestProcessEachCopying(t *testing.T) {
	const n = 5000
	for _, c := range []struct {
		name        string
		lie         bool
		parallelism int
	}{{name: "copies"}, {name: "copies across a channel", parallelism: 2}, {name: "emits its input", lie: true}} {
		t.Run(c.name, func(t *testing.T) {
			env := stream.NewEnvironment(stream.Options{Parallelism: 1})
			src := &reuseSource{n: n}
			in := stream.FromSource(env, src, stream.WatermarkStrategy[[]int64]{}, "src")
			s := stream.ProcessEachCopying(in, func() stream.ProcessFunc[[]int64, []int64] {
				return func(_ *stream.Context, v []int64, out stream.Emitter[[]int64]) error {
					if c.lie {
						out.Emit(v)
					} else {
						out.Emit(append([]int64(nil), v...))
					}
					return nil
				}
			})
			kept := &recordSink{keep: true}
			k := stream.SinkTo(s, kept, "keeping")
			if c.parallelism > 0 {
				k.SetParallelism(c.parallelism)
			}
			if !c.lie {
				// A fan-out: its records cross channels (a lying
				// function's would be overwritten while another
				// goroutine reads them: a data race, so it has the
				// keeping sink alone, chained).
				stream.SinkTo(s, &recordSink{release: true}, "releasing")
			}
			if err := env.Execute(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !src.reused.Load() {
				t.Error("reader not told to reuse records behind a copying function")
			}
			seen := make(map[int64]bool, n)
			for _, v := range kept.values() {
				seen[v] = true
			}
			intact := len(kept.values()) == n && len(seen) == n
			if intact == c.lie {
				t.Errorf("kept sink: %d records, %d distinct; intact %v, want %v", len(kept.values()), len(seen), intact, !c.lie)
			}
		})
	}
}

// keyedCopy buffers a copy of each record (lie: the record itself) per
// key, a KeyedBuffer as SQL's sliced window aggregation: Flush (before the
// timers of a watermark fire) registers a timer of each buffered key,
// which emits the key's records.
type keyedCopy struct {
	lie  bool
	bufd map[int64][][]int64
}

func (f *keyedCopy) Open(*stream.OpenContext) error {
	f.bufd = map[int64][][]int64{}
	return nil
}
func (f *keyedCopy) ProcessElement(ctx *stream.KeyedContext[int64], v []int64, _ stream.Emitter[[]int64]) error {
	if !f.lie {
		v = append([]int64(nil), v...)
	}
	f.bufd[ctx.Key()] = append(f.bufd[ctx.Key()], v)
	return nil
}
func (f *keyedCopy) OnTimer(ctx *stream.KeyedContext[int64], _ int64, out stream.Emitter[[]int64]) error {
	for _, v := range f.bufd[ctx.Key()] {
		out.Emit(v)
	}
	delete(f.bufd, ctx.Key())
	return nil
}
func (f *keyedCopy) Full() bool { return false }
func (f *keyedCopy) Flush(ctx *stream.KeyedContext[int64], setKey func(int64)) error {
	for k := range f.bufd {
		setKey(k)
		ctx.RegisterEventTimeTimer(0)
	}
	return nil
}

// TestKeyedProcessCopying: a buffering keyed function added with
// KeyedProcessCopying (chained after the source: a keyBy at parallelism
// 1) buffers and emits copies, so the source may reuse records even when
// what follows keeps them (a sink keeping its records, behind a channel
// or chained): the kept copies arrive intact. One that claims to copy but
// buffers and emits its input shows that the reuse does overwrite them.
func TestKeyedProcessCopying(t *testing.T) {
	const n = 5000
	for _, c := range []struct {
		name        string
		lie         bool
		parallelism int
	}{{name: "copies"}, {name: "copies across a channel", parallelism: 2}, {name: "buffers its input", lie: true}} {
		t.Run(c.name, func(t *testing.T) {
			env := stream.NewEnvironment(stream.Options{Parallelism: 1})
			src := &reuseSource{n: n}
			in := stream.FromSource(env, src, stream.WatermarkStrategy[[]int64]{}, "src")
			ks := stream.KeyBy(in, func(v []int64) int64 { return v[0] % 7 })
			s := stream.KeyedProcessCopying(ks, func() stream.KeyedProcessFunction[int64, []int64, []int64] { return &keyedCopy{lie: c.lie} })
			kept := &recordSink{keep: true}
			k := stream.SinkTo(s, kept, "keeping")
			if c.parallelism > 0 {
				k.SetParallelism(c.parallelism)
			}
			if err := env.Execute(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !src.reused.Load() {
				t.Error("reader not told to reuse records behind a copying keyed function")
			}
			seen := make(map[int64]bool, n)
			for _, v := range kept.values() {
				seen[v] = true
			}
			intact := len(kept.values()) == n && len(seen) == n
			if intact == c.lie {
				t.Errorf("kept sink: %d records, %d distinct; intact %v, want %v", len(kept.values()), len(seen), intact, !c.lie)
			}
		})
	}
}
