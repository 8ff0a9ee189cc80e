package streamsql_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMiniBatchLatencyGolden: TestMiniBatchGoldenSameFinalResult with
// bundles ended by the allowed-latency timer (1 ms) instead of size.
func TestMiniBatchLatencyGolden(t *testing.T) {
	dirs, _ := filepath.Glob("../internal/sql/testdata/*/query.sql")
	for _, q := range dirs {
		dir := filepath.Dir(q)
		raw, _ := os.ReadFile(q)
		if !miniBatchCase(raw) || fileExists(filepath.Join(dir, "error.txt")) || strings.Contains(string(raw), "after-rows") {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			src, err := readCase(q)
			if err != nil {
				t.Fatal(err)
			}
			var plain strings.Builder
			for _, l := range strings.SplitAfter(src, "\n") {
				if !strings.HasPrefix(l, "SET 'table.exec.mini-batch.") {
					plain.WriteString(l)
				}
			}
			src = plain.String()
			for _, par := range []int{1, 2} {
				if par == 2 && fileExists(filepath.Join(dir, "parallelism1")) {
					continue // late rows depend on the parallelism
				}
				want, _, _, pks, err := runCaseKeys(t, dir, src, par)
				if err != nil {
					t.Fatalf("without mini-batch: %v", err)
				}
				wantFinal, err := applyChangelogErr(want, pks)
				if err != nil {
					t.Skipf("per-row: %v", err)
				}
				mb := "SET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.mini-batch.allow-latency' = '1 ms';\nSET 'table.exec.mini-batch.size' = '2';\n"
				got, _, _, pks, err := runCaseKeys(t, dir, mb+src, par)
				if err != nil {
					t.Fatalf("mini-batch: %v", err)
				}
				gotFinal, err := applyChangelogErr(got, pks)
				if err != nil {
					t.Fatalf("mini-batch par %d: %v\n%s", par, err, got)
				}
				if gotFinal != wantFinal {
					t.Errorf("par %d final\n%s\nwant\n%s", par, gotFinal, wantFinal)
				}
			}
		})
	}
}
