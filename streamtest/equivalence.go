package streamtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/stromio/strom/stream"
)

// Equivalent runs the job that build makes at each parallelism and fails t
// unless every run yields the same multiset of results (compared by their
// JSON encoding). It returns the results of the first run, sorted.
func Equivalent[T any](t *testing.T, parallelisms []int, build func(env *stream.Environment) *stream.Collected[T]) []string {
	t.Helper()
	var first []string
	for i, p := range parallelisms {
		env := stream.NewEnvironment(stream.Options{Parallelism: p})
		out := build(env)
		if err := env.Execute(context.Background()); err != nil {
			t.Fatalf("parallelism %d: %v", p, err)
		}
		got := make([]string, 0, len(out.Values()))
		for _, v := range out.Values() {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("encode result: %v", err)
			}
			got = append(got, string(b))
		}
		slices.Sort(got)
		if i == 0 {
			first = got
			continue
		}
		if d := diff(first, got); d != "" {
			t.Fatalf("parallelism %d differs from parallelism %d: %s", p, parallelisms[0], d)
		}
	}
	return first
}

// diff describes the first difference of two sorted multisets.
func diff(a, b []string) string {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			i++
			j++
		case a[i] < b[j]:
			return fmt.Sprintf("missing %s (%d vs %d results)", a[i], len(a), len(b))
		default:
			return fmt.Sprintf("extra %s (%d vs %d results)", b[j], len(a), len(b))
		}
	}
	if i < len(a) {
		return fmt.Sprintf("missing %s (%d vs %d results)", a[i], len(a), len(b))
	}
	if j < len(b) {
		return fmt.Sprintf("extra %s (%d vs %d results)", b[j], len(a), len(b))
	}
	return ""
}
