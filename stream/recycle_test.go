package stream_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stromio/strom/stream"
)

// slicePool is a Recycler of one-element records: Recycle keeps their
// arrays, get hands one out (or a new one). recycled counts the records
// given back.
type slicePool struct {
	mu       sync.Mutex
	free     [][]int64
	recycled atomic.Int64
}

func (p *slicePool) Recycle(vs [][]int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.recycled.Add(int64(len(vs)))
	p.free = append(p.free, vs...)
}

func (p *slicePool) get() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		a := p.free[n-1]
		p.free = p.free[:n-1]
		return a
	}
	return make([]int64, 1)
}

// coKeeper is a keyed co-process function that emits a copy of each
// record of its first input, or, with keep, keeps the record itself (what
// a join that holds rows in memory does).
type coKeeper struct {
	keep bool
	mu   *sync.Mutex
	kept *[][]int64
}

func (f *coKeeper) Open(*stream.OpenContext) error { return nil }
func (f *coKeeper) ProcessElement1(_ *stream.KeyedContext[int64], v []int64, out stream.Emitter[[]int64]) error {
	if f.keep {
		f.mu.Lock()
		*f.kept = append(*f.kept, v)
		f.mu.Unlock()
		return nil
	}
	out.Emit([]int64{v[0]})
	return nil
}
func (f *coKeeper) ProcessElement2(*stream.KeyedContext[int64], []int64, stream.Emitter[[]int64]) error {
	return nil
}
func (f *coKeeper) OnTimer(*stream.KeyedContext[int64], int64, stream.Emitter[[]int64]) error {
	return nil
}

// TestSideOutputRecycler: a function that builds the records of a side
// output in arrays its Recycler gives back (OutputTag.Recycler), sent over
// a channel to a keyed co-process. The receiver gives records back only
// when its function is built with KeyedCoProcessCopying (it keeps none and
// emits none): then arrays are recycled and every value arrives once. A
// KeyedCoProcess whose function keeps the records gets none recycled, and
// the kept records stay intact; a function that claims to copy but keeps
// them shows that recycling does overwrite a kept record (what a wrong
// give-back would do to a kept row).
func TestSideOutputRecycler(t *testing.T) {
	const n = 20000
	cases := []struct {
		name                      string
		copying, keep             bool
		wantRecycled, wantCorrupt bool
	}{
		{name: "copying receiver", copying: true, wantRecycled: true},
		{name: "keeping receiver", keep: true},
		{name: "lying receiver", copying: true, keep: true, wantRecycled: true, wantCorrupt: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := stream.NewEnvironment(stream.Options{Parallelism: 1})
			items := make([]int64, n)
			for i := range items {
				items[i] = int64(i)
			}
			in := stream.FromSlice(env, items)
			tag := stream.NewOutputTag[[]int64]("side")
			var pools []*slicePool
			var pmu sync.Mutex
			main := stream.ProcessEachCopying(in, func() stream.ProcessFunc[int64, []int64] {
				var pool *slicePool
				asked := false
				return func(ctx *stream.Context, v int64, _ stream.Emitter[[]int64]) error {
					if !asked {
						asked = true
						rc := tag.Recycler(ctx, func() stream.Recycler[[]int64] { return &slicePool{} })
						if rc == nil {
							t.Error("side output over a channel: no Recycler")
						} else {
							pool = rc.(*slicePool)
							pmu.Lock()
							pools = append(pools, pool)
							pmu.Unlock()
						}
					}
					r := []int64(nil)
					if pool != nil {
						r = pool.get()
					} else {
						r = make([]int64, 1)
					}
					r[0] = v
					tag.Emit(ctx, r)
					return nil
				}
			})
			side := stream.KeyBy(stream.SideOutput(main, tag), func(v []int64) int64 { return v[0] % 7 })
			other := stream.KeyBy(main, func(v []int64) int64 { return v[0] % 7 })
			var kmu sync.Mutex
			var kept [][]int64
			newFn := func() stream.KeyedCoProcessFunction[int64, []int64, []int64, []int64] {
				return &coKeeper{keep: c.keep, mu: &kmu, kept: &kept}
			}
			var out stream.Stream[[]int64]
			if c.copying {
				out = stream.KeyedCoProcessCopying(side, other, newFn)
			} else {
				out = stream.KeyedCoProcess(side, other, newFn)
			}
			got := stream.Collect(out)
			if err := env.Execute(context.Background()); err != nil {
				t.Fatal(err)
			}
			var recycled int64
			for _, p := range pools {
				recycled += p.recycled.Load()
			}
			if (recycled > 0) != c.wantRecycled {
				t.Errorf("records recycled: %d, want any: %v", recycled, c.wantRecycled)
			}
			var vals []int64
			if c.keep {
				for _, r := range kept {
					vals = append(vals, r[0])
				}
			} else {
				for _, r := range got.Values() {
					vals = append(vals, r[0])
				}
			}
			seen := make([]bool, n)
			intact := len(vals) == n
			for _, v := range vals {
				if v < 0 || v >= n || seen[v] {
					intact = false
					continue
				}
				seen[v] = true
			}
			if intact == c.wantCorrupt {
				t.Errorf("records intact: %v (%d of %d), want %v", intact, len(vals), n, !c.wantCorrupt)
			}
		})
	}
}

// TestRecyclerNotForBroadcast: no Recycler when the side output sends
// each record to every receiver (several would give it back).
func TestRecyclerNotForBroadcast(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 1})
	in := stream.FromSlice(env, []int64{1, 2, 3})
	tag := stream.NewOutputTag[[]int64]("side")
	var got atomic.Int32
	main := stream.ProcessEachCopying(in, func() stream.ProcessFunc[int64, []int64] {
		return func(ctx *stream.Context, v int64, _ stream.Emitter[[]int64]) error {
			if tag.Recycler(ctx, func() stream.Recycler[[]int64] { return &slicePool{} }) != nil {
				got.Add(1)
			}
			tag.Emit(ctx, []int64{v})
			return nil
		}
	})
	stream.Collect(stream.SideOutput(main, tag).Broadcast())
	if err := env.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got.Load() != 0 {
		t.Errorf("a Recycler for a broadcast side output (%d calls)", got.Load())
	}
}
