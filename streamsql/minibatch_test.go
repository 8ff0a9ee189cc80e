package streamsql_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// miniBatchSet turns on the mini-batch of the group aggregation with
// bundles of size rows (and an allowed latency no test reaches).
func miniBatchSet(size string) string {
	return "SET 'table.exec.mini-batch.enabled' = 'true';\n" +
		"SET 'table.exec.mini-batch.allow-latency' = '1 h';\n" +
		"SET 'table.exec.mini-batch.size' = '" + size + "';\n"
}

var groupByRe = regexp.MustCompile(`(?i)group\s+by`)

// TestMiniBatchGoldenSameFinalResult runs every golden case with a GROUP
// BY again with mini-batch on (bundles of 3 rows, and of 100000: then
// only watermarks and the end of the input end them) and compares the
// changelog applied with the per-row run's: mini-batch coalesces a key's
// changes within a bundle, so the changes differ but the final result
// must not (and every -U/-D must still retract a row that is there).
func TestMiniBatchGoldenSameFinalResult(t *testing.T) {
	dirs, err := filepath.Glob("../internal/sql/testdata/*/query.sql")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	n := 0
	for _, q := range dirs {
		dir := filepath.Dir(q)
		raw, err := os.ReadFile(q)
		if err != nil {
			t.Fatal(err)
		}
		if !groupByRe.Match(raw) || fileExists(filepath.Join(dir, "error.txt")) ||
			// A source held back until the sinks have rows waits for
			// changes that a bundle holds until the end of the input.
			strings.Contains(string(raw), "after-rows") {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			src, err := readCase(q)
			if err != nil {
				t.Fatal(err)
			}
			// The per-row run: without the case's own mini-batch SETs.
			var plain strings.Builder
			for _, l := range strings.SplitAfter(src, "\n") {
				if !strings.HasPrefix(l, "SET 'table.exec.mini-batch.") {
					plain.WriteString(l)
				}
			}
			src = plain.String()
			want, _, _, pks, err := runCaseKeys(t, dir, src, 1)
			if err != nil {
				t.Fatalf("without mini-batch: %v", err)
			}
			wantFinal, err := applyChangelogErr(want, pks)
			if err != nil {
				t.Fatalf("without mini-batch: %v", err)
			}
			for _, size := range []string{"3", "100000"} {
				got, _, _, pks, err := runCaseKeys(t, dir, miniBatchSet(size)+src, 1)
				if err != nil {
					t.Fatalf("mini-batch size %s: %v", size, err)
				}
				gotFinal, err := applyChangelogErr(got, pks)
				if err != nil {
					t.Fatalf("mini-batch size %s: %v\n%s", size, err, got)
				}
				if gotFinal != wantFinal {
					t.Errorf("mini-batch size %s: final result\n%s\nwant (without mini-batch):\n%s", size, gotFinal, wantFinal)
				}
			}
		})
	}
	if n < 20 {
		t.Fatalf("only %d cases with GROUP BY", n)
	}
}
