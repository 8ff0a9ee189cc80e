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

// updatingTopNRe: a ROW_NUMBER/RANK/DENSE_RANK over a changelog source
// (the Top-N over an updating input, which coalesces under mini-batch).
var updatingTopNRe = regexp.MustCompile(`(?is)'changelog'\s*=\s*'true'.*(row_number|rank)\s*\(\s*\)\s*over`)

// miniBatchCase: a golden case that mini-batch changes (a GROUP BY or a
// Top-N over an updating input).
func miniBatchCase(raw []byte) bool { return groupByRe.Match(raw) || updatingTopNRe.Match(raw) }

// TestMiniBatchGoldenSameFinalResult runs every golden case with a GROUP
// BY or a Top-N over a changelog source (miniBatchCase) again with
// mini-batch on (bundles of 3 rows, and of 100000: then
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
		if !miniBatchCase(raw) || fileExists(filepath.Join(dir, "error.txt")) ||
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

// TestMiniBatchTopNCoalesces: the Top-N over an updating input emits a
// -U and the +U after it on the same partition as one change only with
// mini-batch on. Case top_n_updating_moves_up: its golden changelog is
// the row-by-row one (Flink's; TestGolden); with mini-batch the exact
// coalesced changelog, and the same final result.
func TestMiniBatchTopNCoalesces(t *testing.T) {
	dir := "../internal/sql/testdata/top_n_updating_moves_up"
	src, err := readCase(filepath.Join(dir, "query.sql"))
	if err != nil {
		t.Fatal(err)
	}
	want, _, _, pks, err := runCaseKeys(t, dir, src, 1)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := os.ReadFile(filepath.Join(dir, "expected.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(want) != strings.TrimSpace(string(exp)) {
		t.Fatalf("without mini-batch: changelog\n%s\nwant (row by row):\n%s", want, exp)
	}
	wantFinal := applyChangelog(t, want, pks)
	coalesced := `{"table":"top2","op":"+I","team":"red","player":"bob","score":30,"rn":1}
{"table":"top2","op":"+I","team":"red","player":"cid","score":20,"rn":2}
{"table":"top2","op":"+I","team":"blue","player":"dan","score":5,"rn":1}
{"table":"top2","op":"-U","team":"red","player":"bob","score":30,"rn":1}
{"table":"top2","op":"+U","team":"red","player":"cid","score":35,"rn":1}
{"table":"top2","op":"-U","team":"red","player":"cid","score":20,"rn":2}
{"table":"top2","op":"+U","team":"red","player":"bob","score":30,"rn":2}
{"table":"top2","op":"-U","team":"blue","player":"dan","score":5,"rn":1}
{"table":"top2","op":"+U","team":"blue","player":"dan","score":6,"rn":1}`
	for _, size := range []string{"1", "3", "100000"} {
		got, _, _, pks, err := runCaseKeys(t, dir, miniBatchSet(size)+src, 1)
		if err != nil {
			t.Fatalf("mini-batch size %s: %v", size, err)
		}
		if strings.TrimSpace(got) != coalesced {
			t.Errorf("mini-batch size %s: changelog\n%s\nwant (coalesced):\n%s", size, got, coalesced)
		}
		if gotFinal := applyChangelog(t, got, pks); gotFinal != wantFinal {
			t.Errorf("mini-batch size %s: final result\n%s\nwant (without mini-batch):\n%s", size, gotFinal, wantFinal)
		}
	}
}
