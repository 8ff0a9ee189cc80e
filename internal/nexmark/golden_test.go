package nexmark

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// goldenConfig is the generated input of the golden tests: 4 splits (so
// every parallelism reads the same data), 20 s of event time, so that 10 s
// windows fire, sessions close and auctions (about 1 s long) see bids.
func goldenConfig() nexmark.GeneratorConfig {
	return nexmark.GeneratorConfig{Events: 24_000, Seed: 7, Rate: 1_200, Splits: 4}.WithDefaults()
}

// TestGolden runs every registered query over the same generated events at
// parallelism 1, 2 and 4 and demands that the result (a changelog applied,
// for updating queries) equals the query's oracle, which computes it from
// the event list without the engine.
func TestGolden(t *testing.T) {
	cfg := goldenConfig()
	events := nexmark.Generate(cfg)
	side := filepath.Join(t.TempDir(), "side.csv")
	f, err := os.Create(side)
	if err != nil {
		t.Fatal(err)
	}
	if err := nexmark.WriteSideInput(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			q, _ := Lookup(name)
			qcfg := Config{SideInput: side, OutDir: t.TempDir()}
			var want []string
			if !ProcessingTime[name] {
				rows, err := q.Oracle(events, qcfg)
				if err != nil {
					t.Fatalf("oracle: %v", err)
				}
				if want, err = Canonical(rows, false); err != nil {
					t.Fatal(err)
				}
				if len(want) == 0 {
					t.Fatalf("the oracle's result is empty: the input does not exercise %s", name)
				}
			}
			for _, p := range []int{1, 2, 4} {
				qcfg.OutDir = t.TempDir()
				env := stream.NewEnvironment(stream.Options{Parallelism: p})
				src := stream.FromSource[nexmark.Event](env, nexmark.NewSource(cfg), Watermark(), "nexmark")
				rows, err := Run(context.Background(), env, src, q, qcfg)
				if err != nil {
					t.Fatalf("p=%d: %v", p, err)
				}
				if ProcessingTime[name] {
					if err := CheckQ12(events, rows); err != nil {
						t.Fatalf("p=%d: %v", p, err)
					}
					continue
				}
				got, err := Canonical(rows, q.Updating)
				if err != nil {
					t.Fatalf("p=%d: changelog: %v", p, err)
				}
				if d := diffRows(want, got); d != "" {
					t.Fatalf("p=%d: result differs from the oracle (%d rows vs %d): %s", p, len(got), len(want), d)
				}
			}
		})
	}
}

// diffRows names the first rows that differ between two sorted multisets.
func diffRows(want, got []string) string {
	var missing, extra []string
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j >= len(got) || (i < len(want) && want[i] < got[j]):
			missing = append(missing, want[i])
			i++
		case i >= len(want) || got[j] < want[i]:
			extra = append(extra, got[j])
			j++
		default:
			i++
			j++
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return ""
	}
	clip := func(s []string) string {
		if len(s) > 3 {
			return strings.Join(s[:3], "\n    ") + "\n    ..."
		}
		return strings.Join(s, "\n    ")
	}
	return "\n  missing " + strconv.Itoa(len(missing)) + ":\n    " + clip(missing) + "\n  unexpected " + strconv.Itoa(len(extra)) + ":\n    " + clip(extra)
}
