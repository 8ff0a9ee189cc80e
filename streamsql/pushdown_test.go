package streamsql_test

import (
	"strings"
	"testing"

	"github.com/stromio/strom/internal/sql/planner"
)

// TestJoinFilterPushDownSameRows runs the golden cases of filter push-down
// through joins with push-down and without it
// ('strom.optimizer.join-filter-push-down' = 'false', the plans of the
// binaries before it): the same final rows, from plans that differ.
func TestJoinFilterPushDownSameRows(t *testing.T) {
	for _, name := range []string{"join_filter_pushdown", "join_filter_pushdown_time"} {
		t.Run(name, func(t *testing.T) {
			dir := "../internal/sql/testdata/" + name
			src, err := readCase(dir + "/query.sql")
			if err != nil {
				t.Fatal(err)
			}
			off := "SET '" + planner.FilterPushDownOption + "' = 'false';\n"
			var finals, plans [2]string
			for i, pre := range []string{"", off} {
				rows, _, _, err := runCase(t, dir, pre+src, 1)
				if err != nil {
					t.Fatal(err)
				}
				finals[i] = applyChangelog(t, rows)
				// The plans: EXPLAIN of the statement set.
				i0 := strings.Index(src, "EXECUTE STATEMENT SET")
				if i0 < 0 {
					t.Fatal("no statement set")
				}
				_, text, _, err := runCase(t, dir, pre+src[:i0]+"EXPLAIN "+src[i0:], 1)
				if err != nil {
					t.Fatal(err)
				}
				plans[i] = text
			}
			if finals[0] == "" || finals[0] != finals[1] {
				t.Errorf("with push-down:\n%s\nwithout:\n%s", finals[0], finals[1])
			}
			if plans[0] == plans[1] {
				t.Errorf("the plans with and without push-down are the same:\n%s", plans[0])
			}
		})
	}
}
