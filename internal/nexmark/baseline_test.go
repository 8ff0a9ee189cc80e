package nexmark

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/stromio/strom/connector/nexmark"
)

// TestBaselinesMatchOracles checks each hand-written baseline against the
// query's oracle on small generators: one split and several, at a rate
// slow enough that many windows open and close during the run.
func TestBaselinesMatchOracles(t *testing.T) {
	cfgs := []nexmark.GeneratorConfig{
		{Events: 60_000, Seed: 1, Rate: 2_000},            // 30 s of event time
		{Events: 50_000, Seed: 7, Rate: 1_000, Splits: 3}, // 50 s, three timelines
		{Events: 20_000, Seed: 3, Rate: 10_000_000},       // 2 ms: one window each
		{Events: 5_000, Seed: 11, Rate: 100, Splits: 2},   // 50 s, sparse
	}
	for _, name := range BaselineNames() {
		q, err := Lookup(name)
		if err != nil {
			t.Logf("%s: no query registered yet: %v", name, err)
			continue
		}
		for _, cfg := range cfgs {
			t.Run(fmt.Sprintf("%s/events=%d,rate=%d,splits=%d", name, cfg.Events, cfg.Rate, cfg.Splits), func(t *testing.T) {
				var progress atomic.Int64
				got, err := RunBaseline(context.Background(), name, cfg, true, &progress)
				if err != nil {
					t.Fatal(err)
				}
				if got.Events != cfg.Events || progress.Load() != cfg.Events {
					t.Fatalf("baseline read %d events (progress %d), want %d", got.Events, progress.Load(), cfg.Events)
				}
				if got.Rows != int64(len(got.Collected)) {
					t.Fatalf("Rows = %d, collected %d", got.Rows, len(got.Collected))
				}
				want, err := q.Oracle(nexmark.Generate(cfg), Config{})
				if err != nil {
					t.Fatal(err)
				}
				gc, err := Canonical(got.Collected, false)
				if err != nil {
					t.Fatal(err)
				}
				wc, err := Canonical(want, false) // the oracle gives the final rows, without "op"
				if err != nil {
					t.Fatal(err)
				}
				if len(wc) == 0 {
					t.Fatalf("the oracle has no rows: the test proves nothing")
				}
				if !slices.Equal(gc, wc) {
					t.Fatalf("baseline: %d rows, oracle: %d rows\n%s", len(gc), len(wc), baseFirstDiff(gc, wc))
				}
			})
		}
	}
}

// TestBaselineChecksum checks that the checksum is a function of the rows:
// equal runs (collecting or not) give equal checksums, another seed another.
func TestBaselineChecksum(t *testing.T) {
	cfg := nexmark.GeneratorConfig{Events: 20_000, Seed: 5, Rate: 1_000}
	a, err := RunBaseline(context.Background(), "q5", cfg, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := RunBaseline(context.Background(), "q5", cfg, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Checksum != b.Checksum || a.Rows != b.Rows || a.Collected != nil {
		t.Fatalf("two runs differ: %+v vs rows %d checksum %x", a, b.Rows, b.Checksum)
	}
	cfg.Seed = 6
	c, err := RunBaseline(context.Background(), "q5", cfg, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Checksum == a.Checksum {
		t.Fatalf("seeds 5 and 6 give the same checksum %x", a.Checksum)
	}
}

func TestRunBaselineErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := RunBaseline(ctx, "q99", nexmark.GeneratorConfig{Events: 1}, false, nil); err == nil {
		t.Error("unknown baseline: no error")
	}
	if _, err := RunBaseline(ctx, "q0", nexmark.GeneratorConfig{}, false, nil); err == nil {
		t.Error("unbounded generator: no error")
	}
	if _, err := RunBaseline(ctx, "q0", nexmark.GeneratorConfig{Events: 10, Splits: -1}, false, nil); err == nil {
		t.Error("invalid generator: no error")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := RunBaseline(canceled, "q7", nexmark.GeneratorConfig{Events: 100_000}, false, nil); err == nil {
		t.Error("canceled context: no error")
	}
}

// baseFirstDiff describes the first difference of two sorted row lists.
func baseFirstDiff(got, want []string) string {
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("first difference at sorted row %d:\n got  %s\n want %s", i, g, w)
		}
	}
	return "equal"
}
