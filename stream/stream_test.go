package stream_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stromio/strom/stream"
)

func TestReduceEquivalence(t *testing.T) {
	var items []int64
	for i := range int64(10000) {
		items = append(items, i)
	}
	want := map[int64]int64{}
	for _, v := range items {
		want[v%7] += v * 2
	}
	for _, p := range []int{1, 2, 4} {
		env := stream.NewEnvironment(stream.Options{Parallelism: p})
		s := stream.Map(stream.FromSlice(env, items), func(v int64) [2]int64 { return [2]int64{v % 7, v * 2} })
		r := stream.KeyBy(s, func(v [2]int64) int64 { return v[0] }).Reduce(func(a, b [2]int64) [2]int64 { return [2]int64{a[0], a[1] + b[1]} })
		out := stream.Collect(r)
		if err := env.Execute(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := map[int64]int64{}
		for _, v := range out.Values() {
			got[v[0]] = max(got[v[0]], v[1])
		}
		if len(got) != len(want) {
			t.Fatalf("p=%d: got %v want %v", p, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("p=%d key %d: got %d want %d", p, k, got[k], v)
			}
		}
		if n := len(out.Values()); n != len(items) {
			t.Fatalf("p=%d: %d outputs", p, n)
		}
		_ = slices.Sort[[]int64]
	}
}
