package streamsql_test

import (
	"strings"
	"testing"
)

// TestJoinAggSameRows runs the golden case join_agg_fused (GROUP BYs over
// regular joins in the unique mode keyed by the unique side's key: one
// fused operator, planner/joinagg.go) and the same case with the key
// removed (the joins in the general mode, the GROUP BYs their own
// operators), each per row and with mini-batch (bundles of 3 rows), at
// parallelism 1 and 2: the same final rows. The fused plan fuses the two
// GROUP BYs keyed by the item's id, not the one by name.
func TestJoinAggSameRows(t *testing.T) {
	dir := "../internal/sql/testdata/join_agg_fused"
	src, err := readCase(dir + "/query.sql")
	if err != nil {
		t.Fatal(err)
	}
	general := strings.Replace(src, ", 'unique-key' = 'id'", "", 1)
	if general == src {
		t.Fatal("no unique key to remove")
	}
	const mb = "SET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.mini-batch.allow-latency' = '1 h';\nSET 'table.exec.mini-batch.size' = '3';\n"
	want := ""
	for _, text := range []string{src, general, mb + src, mb + general} {
		for _, par := range []int{1, 2} {
			rows, _, _, pks, err := runCaseKeys(t, dir, text, par)
			if err != nil {
				t.Fatal(err)
			}
			f := applyChangelog(t, rows, pks)
			if want == "" {
				want = f
			}
			if f != want {
				t.Errorf("parallelism %d, fused %v, mini-batch %v:\n%s\nwant (fused, per row, parallelism 1):\n%s",
					par, !strings.Contains(text, general), strings.HasPrefix(text, mb), f, want)
			}
		}
		i0 := strings.Index(text, "EXECUTE STATEMENT SET")
		_, plan, _, err := runCase(t, dir, text[:i0]+"EXPLAIN "+text[i0:], 1)
		if err != nil {
			t.Fatal(err)
		}
		n, wantN := strings.Count(plan, "fusedJoin=[true]"), 2
		if strings.Contains(text, general) {
			wantN = 0
		}
		if n != wantN {
			t.Errorf("%d fused GROUP BYs, want %d:\n%s", n, wantN, plan)
		}
	}
	if !strings.Contains(want, "cup") {
		t.Fatalf("no rows:\n%s", want)
	}
}
