package streamsql_test

// Regression tests from the review of branch sqlscan (2026-12-06): the
// pruning below a lookup join (planner.pruneLookupJoin) keeps the UID
// numbering of the unpruned plan, so a savepoint of the previous build
// restores.

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	fileconn "github.com/stromio/strom/connector/file"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/sql/planner"
	"github.com/stromio/strom/streamsql"
)

// TestPruneLookupJoinKeepsUIDs: the UIDs (and the state signatures but the
// lookup join's, whose input is narrower) of plans of a lookup join under
// a Calc that reads some of its left columns are those of the same plans
// built without the pruning: a Calc above that pruning would make the
// identity (review H1: the group aggregation after it renumbered), a
// computed column the left Calc reads twice, once after pruning (H2:
// the left chain fused into fewer operators), Nexmark q13, and random
// projections, filters, residual conditions and aggregations.
func TestPruneLookupJoinKeepsUIDs(t *testing.T) {
	src, err := os.ReadFile("../internal/nexmark/sql/ddl.sql")
	if err != nil {
		t.Fatal(err)
	}
	ddl := strings.Replace(string(src), "'100000000'", "'500'", 1)
	var side strings.Builder
	for k := 0; k < 13; k++ {
		fmt.Fprintf(&side, "%d,v%d\n", k, k)
	}
	sideFile := filepath.Join(t.TempDir(), "side.csv")
	if err := os.WriteFile(sideFile, []byte(side.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sideDDL := "CREATE TABLE side_input (key BIGINT, `value` VARCHAR) WITH ('connector' = 'filesystem', 'path' = 'file://" + sideFile + "', 'format' = 'csv');\n"
	// plan returns the operators' UIDs, with their state signatures but
	// the lookup join's, and the lookup join's signature.
	plan := func(script string, pruned bool) ([]string, string) {
		if !pruned {
			defer planner.DisableLookupJoinPruning()()
		}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{
			nexgen.TableFactory(), builtin.BlackholeFactory(), fileconn.FilesystemTableFactory()}})
		job, _, err := s.Submit(context.Background(), ddl+script)
		if err != nil {
			t.Fatalf("%s: %v", script, err)
		}
		var uids []string
		lj := ""
		for _, v := range job.View() {
			for _, o := range v.Operators {
				if strings.Contains(o.UID, "lookup-join") {
					lj = o.StateSignature
					uids = append(uids, o.UID)
					continue
				}
				uids = append(uids, o.UID+" {"+o.StateSignature+"}")
			}
		}
		slices.Sort(uids)
		if err := job.Wait(); err != nil {
			t.Fatalf("%s: %v", script, err)
		}
		return uids, lj
	}
	q13, err := os.ReadFile("../internal/nexmark/sql/q13.sql")
	if err != nil {
		t.Fatal(err)
	}
	shapes := []string{
		// H1: the Calc above is the identity once channel is pruned.
		sideDDL + "CREATE TABLE o (ba BIGINT, k BIGINT, v VARCHAR, c BIGINT) WITH ('connector' = 'blackhole');\n" +
			"INSERT INTO o SELECT ba, k, v, COUNT(*) FROM (SELECT B.ba, S.key AS k, S.`value` AS v FROM " +
			"(SELECT bid.auction AS ba, bid.channel AS ch, PROCTIME() AS p_time FROM nexmark WHERE event_type = 2) B " +
			"JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S ON MOD(B.ba, 13) = S.key) GROUP BY ba, k, v;",
		// H2: the bid view's dateTime (a CASE) read twice, once pruned.
		sideDDL + "CREATE TABLE o (a BIGINT, d TIMESTAMP(3), v VARCHAR, c BIGINT) WITH ('connector' = 'blackhole');\n" +
			"INSERT INTO o SELECT a, d1, v, COUNT(*) FROM (SELECT B.auction AS a, B.d1, S.`value` AS v FROM " +
			"(SELECT auction, dateTime AS d1, dateTime AS d2, PROCTIME() AS p_time FROM bid) B " +
			"JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S ON MOD(B.auction, 13) = S.key) GROUP BY a, d1, v;",
		strings.Replace(string(q13), "file:///tmp/nexmark/side_input.txt", "file://"+sideFile, 1),
	}
	type col struct{ expr, name, typ string }
	pool := []col{
		{"bid.bidder", "bb", "BIGINT"}, {"bid.price", "pr", "BIGINT"}, {"bid.channel", "ch", "VARCHAR"},
		{"bid.url", "u", "VARCHAR"}, {"bid.extra", "ex", "VARCHAR"}, {"dateTime", "d1", "TIMESTAMP(3)"},
		{"dateTime", "d2", "TIMESTAMP(3)"}, {"UPPER(bid.channel)", "uc", "VARCHAR"}, {"bid.price * 2", "p2", "BIGINT"},
		{"person.name", "pn", "VARCHAR"},
	}
	rng := rand.New(rand.NewSource(13))
	for len(shapes) < 40 {
		left := []col{{"bid.auction", "ba", "BIGINT"}}
		for _, c := range pool {
			if rng.Intn(2) == 0 {
				left = append(left, c)
			}
		}
		rng.Shuffle(len(left), func(i, j int) { left[i], left[j] = left[j], left[i] })
		var sel []string
		for _, c := range left {
			sel = append(sel, c.expr+" AS "+c.name)
		}
		from := "nexmark"
		if rng.Intn(2) == 0 {
			from = "nexmark WHERE event_type = 2"
		}
		on := "MOD(B.ba, 13) = S.key"
		if rng.Intn(3) == 0 {
			on += " AND (MOD(B.ba, 3) = 0 OR S.`value` LIKE 'v1%')"
		}
		kind := []string{"JOIN", "LEFT JOIN"}[rng.Intn(2)]
		// The Calc above: some left columns, in any order, and the
		// side columns.
		right := []col{{"S.key", "k", "BIGINT"}, {"S.`value`", "v", "VARCHAR"}}
		var above []col
		for _, c := range append(slices.Clone(left), right...) {
			if rng.Intn(2) == 0 {
				e := c.expr
				if !strings.HasPrefix(e, "S.") {
					e = "B." + c.name
				}
				above = append(above, col{e, c.name, c.typ})
			}
		}
		if len(above) == 0 {
			above = append(above, col{"B.ba", "ba", "BIGINT"})
		}
		if rng.Intn(3) == 0 {
			rng.Shuffle(len(above), func(i, j int) { above[i], above[j] = above[j], above[i] })
		}
		var sel2, names, sink []string
		for _, c := range above {
			sel2 = append(sel2, c.expr+" AS "+c.name)
			names = append(names, c.name)
			sink = append(sink, c.name+" "+c.typ)
		}
		where := ""
		if rng.Intn(4) == 0 {
			where = " WHERE B.ba > 1000"
		}
		inner := "SELECT " + strings.Join(sel2, ", ") + " FROM (SELECT " + strings.Join(sel, ", ") + ", PROCTIME() AS p_time FROM " + from +
			") B " + kind + " side_input FOR SYSTEM_TIME AS OF B.p_time AS S ON " + on + where
		query := "INSERT INTO o " + inner + ";"
		if rng.Intn(2) == 0 {
			sink = append(sink, "c BIGINT")
			query = "INSERT INTO o SELECT " + strings.Join(names, ", ") + ", COUNT(*) FROM (" + inner + ") GROUP BY " + strings.Join(names, ", ") + ";"
		}
		shapes = append(shapes, sideDDL+"CREATE TABLE o ("+strings.Join(sink, ", ")+") WITH ('connector' = 'blackhole');\n"+query)
	}
	narrowed := 0
	for i, sh := range shapes {
		got, gotLJ := plan(sh, true)
		want, wantLJ := plan(sh, false)
		if !slices.Equal(got, want) {
			t.Errorf("shape %d: UIDs of the pruned plan\n  %s\nthe unpruned plan's\n  %s\n%s", i, strings.Join(got, "\n  "), strings.Join(want, "\n  "), sh)
		}
		if gotLJ != wantLJ {
			narrowed++
		}
		if i == 2 && gotLJ == wantLJ {
			t.Errorf("q13's lookup join input is not pruned: %s", gotLJ)
		}
	}
	if narrowed < len(shapes)/4 {
		t.Errorf("only %d of %d plans pruned", narrowed, len(shapes))
	}
	t.Logf("%d of %d plans pruned", narrowed, len(shapes))
}
