package stream_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/stream"
)

func run(t *testing.T, env *stream.Environment) {
	t.Helper()
	if err := env.Execute(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func sortedValues[T any](c *stream.Collected[T], less func(a, b T) int) []T {
	v := c.Values()
	slices.SortFunc(v, less)
	return v
}

func TestUnionRebalanceBroadcast(t *testing.T) {
	for _, p := range []int{1, 2, 4} {
		env := stream.NewEnvironment(stream.Options{Parallelism: p})
		a := stream.FromSlice(env, []int{1, 2, 3})
		b := stream.FromSlice(env, []int{10, 20})
		u := stream.Collect(stream.Map(a.Union(b).Rebalance(), func(v int) int { return v * 2 }))
		bc := stream.Collect(stream.Map(stream.FromSlice(env, []int{7}).Broadcast(), func(v int) int { return v }).SetParallelism(3))
		run(t, env)
		if got := sortedValues(u, func(a, b int) int { return a - b }); !slices.Equal(got, []int{2, 4, 6, 20, 40}) {
			t.Fatalf("p=%d union: %v", p, got)
		}
		if got := bc.Values(); !slices.Equal(got, []int{7, 7, 7}) {
			t.Fatalf("p=%d broadcast to 3 subtasks: %v", p, got)
		}
	}
}

func TestConnectCoProcessAndSideOutputs(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	nums := stream.FromSlice(env, []int{1, 2, 3, 4})
	words := stream.FromSlice(env, []string{"x", "yy"})
	odd := stream.NewOutputTag[int]("odd")
	merged := stream.CoProcess(stream.Connect(nums, words),
		func(ctx *stream.Context, v int, out stream.Emitter[string]) error {
			if v%2 == 1 {
				odd.Emit(ctx, v)
				return nil
			}
			out.Emit(fmt.Sprint("n", v))
			return nil
		},
		func(ctx *stream.Context, w string, out stream.Emitter[string]) error {
			out.Emit("w" + w)
			return nil
		})
	main := stream.Collect(merged)
	side := stream.Collect(stream.SideOutput(merged, odd))
	run(t, env)
	if got := sortedValues(main, strings.Compare); !slices.Equal(got, []string{"n2", "n4", "wx", "wyy"}) {
		t.Fatalf("main %v", got)
	}
	if got := sortedValues(side, func(a, b int) int { return a - b }); !slices.Equal(got, []int{1, 3}) {
		t.Fatalf("side %v", got)
	}
}

func TestEnrichmentThroughKeyedCoProcess(t *testing.T) {
	type order struct {
		User string
		Amt  int
	}
	type user struct{ ID, Country string }
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	orders := stream.KeyBy(stream.FromSlice(env, []order{{"u1", 5}, {"u2", 7}, {"u1", 1}}), func(o order) string { return o.User })
	users := stream.KeyBy(stream.FromSlice(env, []user{{"u1", "NL"}, {"u2", "DE"}}), func(u user) string { return u.ID })
	type state struct {
		country *stream.ValueState[string]
		pending *stream.ListState[order]
	}
	out := stream.Collect(stream.KeyedCoProcess(orders, users, func() stream.KeyedCoProcessFunction[string, order, user, string] {
		return &enrich[order, user]{
			key:  func(o order) string { return fmt.Sprintf("%s:%d", o.User, o.Amt) },
			attr: func(u user) string { return u.Country },
		}
	}))
	run(t, env)
	if got := sortedValues(out, strings.Compare); !slices.Equal(got, []string{"u1:1@NL", "u1:5@NL", "u2:7@DE"}) {
		t.Fatalf("enriched %v", got)
	}
	_ = state{}
}

// enrich joins each A with the latest table row B of its key, buffering A
// records that arrive before their row.
type enrich[A, B any] struct {
	key     func(A) string
	attr    func(B) string
	row     *stream.ValueState[string]
	pending *stream.ListState[A]
}

func (e *enrich[A, B]) Open(ctx *stream.OpenContext) error {
	e.row = stream.NewValueState[string](ctx, "row")
	e.pending = stream.NewListState[A](ctx, "pending")
	return nil
}

func (e *enrich[A, B]) ProcessElement1(ctx *stream.KeyedContext[string], a A, out stream.Emitter[string]) error {
	if r, ok := e.row.Get(); ok {
		out.Emit(e.key(a) + "@" + r)
		return nil
	}
	e.pending.Add(a)
	return nil
}

func (e *enrich[A, B]) ProcessElement2(ctx *stream.KeyedContext[string], b B, out stream.Emitter[string]) error {
	e.row.Set(e.attr(b))
	for _, a := range e.pending.Get() {
		out.Emit(e.key(a) + "@" + e.attr(b))
	}
	e.pending.Clear()
	return nil
}

func (e *enrich[A, B]) OnTimer(*stream.KeyedContext[string], int64, stream.Emitter[string]) error {
	return nil
}

func TestPlanChainingAndValidation(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	s := stream.FromGenerator(env, 10, func(_ int, i int64) int64 { return i }, stream.WatermarkStrategy[int64]{})
	m := stream.Map(s, func(v int64) int64 { return v }).Name("m1")
	f := m.Filter(func(int64) bool { return true }).Name("f1")
	k := stream.KeyBy(f, func(v int64) int64 { return v }).Reduce(func(a, b int64) int64 { return a + b })
	stream.Discard(stream.Map(k, func(v int64) int64 { return v }).Name("m2"))
	desc, err := env.Plan()
	if err != nil {
		t.Fatal(err)
	}
	want := "0: generator -> m1 -> f1 (parallelism 2)\n1: reduce -> m2 -> discard (parallelism 2) <-HASH- 0\n"
	if desc != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", desc, want)
	}

	env2 := stream.NewEnvironment(stream.Options{Parallelism: 1})
	a := stream.Map(stream.FromSlice(env2, []int{1}), func(v int) int { return v }).UID("same")
	stream.Discard(stream.Map(a, func(v int) int { return v }).UID("same"))
	if _, err := env2.Plan(); err == nil || !strings.Contains(err.Error(), `share the uid "same"`) {
		t.Fatalf("duplicate uid: %v", err)
	}
	env3 := stream.NewEnvironment(stream.Options{Parallelism: 1})
	stream.Discard(stream.FromSlice(env3, []int{1}).UID("bad uid/../x"))
	if _, err := env3.Plan(); err == nil || !strings.Contains(err.Error(), "may only contain") {
		t.Fatalf("bad uid: %v", err)
	}
	env4 := stream.NewEnvironment(stream.Options{Parallelism: 4, MaxParallelism: 2})
	stream.Discard(stream.FromSlice(env4, []int{1}))
	if err := env4.Execute(context.Background()); err == nil || !strings.Contains(err.Error(), "exceeds MaxParallelism") {
		t.Fatalf("parallelism above max: %v", err)
	}
}

func TestMetricsView(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2, BatchSize: 16})
	s := stream.FromGenerator(env, 500, func(_ int, i int64) int64 { return i }, stream.WatermarkStrategy[int64]{})
	f := s.Filter(func(v int64) bool { return v%2 == 0 }).Name("even")
	stream.Discard(stream.KeyBy(f, func(v int64) int64 { return v }).Reduce(func(a, b int64) int64 { return a + b }))
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	totals := map[string][3]int64{}
	for _, v := range job.View() {
		for _, o := range v.Operators {
			var in, out, batches int64
			for _, st := range o.Subtasks {
				in += st.RecordsIn
				out += st.RecordsOut
				batches += st.BatchesOut
			}
			totals[o.Name] = [3]int64{in, out, batches}
		}
	}
	if got := totals["generator"]; got[0] != 1000 || got[1] != 1000 {
		t.Fatalf("generator in/out %v", got)
	}
	if got := totals["even"]; got[0] != 1000 || got[1] != 500 || got[2] < 500/16 {
		t.Fatalf("filter in/out/batches %v", got)
	}
	if got := totals["reduce"]; got[0] != 500 {
		t.Fatalf("reduce in %v", got)
	}
}

func TestUnboundedSliceStaysOpen(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{})
	out := stream.Collect(stream.FromSource[int](env, stream.SliceSource[int]{Items: []int{1, 2}, Unbounded: true}, stream.WatermarkStrategy[int]{}, "open-slice"))
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "both items", func() bool { return len(out.Values()) == 2 })
	select {
	case <-job.Done():
		t.Fatal("an unbounded source ended the job")
	default:
	}
	job.Cancel()
	if err := job.Wait(); !errors.Is(err, stream.ErrCanceled) {
		t.Fatal(err)
	}
}
