package streamsql_test

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

// TestPruneLookupJoinMatchesUnpruned: a Calc over a lookup join that reads
// only some of the left input's columns narrows the left input
// (planner.pruneLookupJoin: the projected Nexmark scan reads fewer
// fields); its rows are those of the same job built without the pruning
// (planner.DisableLookupJoinPruning: the lookup join's input is then every
// left column), on the Nexmark table's rows of every event type (the
// other members' fields NULL), with keys of several matches, of none, NULL
// keys and a NULL key on the side table, a residual ON condition that
// reads a left column read nowhere else, for an inner and a LEFT join. A
// left column that may fail (a division) is kept when unread, in the
// Calc below the join or in a view under it: the pruned job fails as the
// unpruned one does.
func TestPruneLookupJoinMatchesUnpruned(t *testing.T) {
	src, err := os.ReadFile("../internal/nexmark/sql/ddl.sql")
	if err != nil {
		t.Fatal(err)
	}
	ddl := strings.Replace(string(src), "'100000000'", "'3000'", 1)
	rng := rand.New(rand.NewSource(7))
	var side strings.Builder
	for k := 0; k < 13; k++ {
		if k == 5 {
			continue // no match
		}
		for n := rng.Intn(3); n >= 0; n-- { // up to three rows per key
			fmt.Fprintf(&side, "%d,v%d_%d\n", k, k, n)
		}
	}
	side.WriteString(",vnull\n") // a NULL key: matches nothing
	sideFile := filepath.Join(t.TempDir(), "side.csv")
	if err := os.WriteFile(sideFile, []byte(side.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(script string, pruned bool) ([]string, string, error) {
		if !pruned {
			defer planner.DisableLookupJoinPruning()()
		}
		var printed strings.Builder
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{
			nexgen.TableFactory(), builtin.PrintFactory(&printed), fileconn.FilesystemTableFactory()}})
		job, _, err := s.Submit(context.Background(), script)
		if err != nil {
			t.Fatalf("%s: %v", script, err)
		}
		sig := ""
		for _, v := range job.View() {
			for _, o := range v.Operators {
				if strings.Contains(o.UID, "lookup-join") {
					sig = o.StateSignature
				}
			}
		}
		if err := job.Wait(); err != nil {
			return nil, sig, err
		}
		rows := strings.Split(strings.TrimSpace(printed.String()), "\n")
		slices.Sort(rows)
		return rows, sig, nil
	}
	// ba's key: NULL for persons (a NULL key matches nothing); bb is
	// read by the residual condition only.
	left := `SELECT event_type, bid.auction AS ba, bid.channel AS ch, bid.extra AS ex, auction.itemName AS item,
  person.name AS pn, auction.id AS aid, bid.bidder AS bb, dateTime, %s PROCTIME() AS p_time FROM nexmark`
	// The same columns through a view: SELECT *, PROCTIME() over them
	// (Nexmark q13's shape).
	view2 := `SELECT *, PROCTIME() AS p_time FROM (SELECT event_type, bid.auction AS ba, bid.channel AS ch, bid.extra AS ex,
  auction.itemName AS item, person.name AS pn, auction.id AS aid, bid.bidder AS bb, dateTime %s FROM nexmark)`
	for _, kind := range []string{"JOIN", "LEFT JOIN"} {
		script := func(b string) string {
			return ddl + `
CREATE TABLE side_input (key BIGINT, ` + "`value`" + ` VARCHAR) WITH ('connector' = 'filesystem', 'path' = 'file://` + sideFile + `', 'format' = 'csv');
CREATE TABLE p (event_type INT, ch VARCHAR, v VARCHAR, dt TIMESTAMP(3)) WITH ('connector' = 'print');
CREATE VIEW j AS SELECT B.*, S.` + "`value`" + ` AS v FROM (` + b + `) B
  ` + kind + ` side_input FOR SYSTEM_TIME AS OF B.p_time AS S ON MOD(COALESCE(B.ba, B.aid), 13) = S.key
  AND (MOD(B.bb, 3) <> 0 OR S.` + "`value`" + ` LIKE '%_1');
INSERT INTO p SELECT event_type, ch, v, dateTime FROM j`
		}
		for _, b := range []string{fmt.Sprintf(left, ""), fmt.Sprintf(view2, "")} {
			got, sig, err := run(script(b), true)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(sig, "in0=[INT, BIGINT, STRING, BIGINT, BIGINT, TIMESTAMP(3)]") {
				t.Errorf("%s: the lookup join's input is not pruned: %s", kind, sig)
			}
			want, wsig, err := run(script(b), false)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(wsig, "in0=[INT, BIGINT, STRING, STRING, STRING, STRING, BIGINT, BIGINT, TIMESTAMP(3), TIMESTAMP_LTZ(3)]") {
				t.Errorf("%s: the reference join's input is pruned: %s", kind, wsig)
			}
			if len(got) < 2000 {
				t.Fatalf("%s: only %d rows", kind, len(got))
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: %d rows differ from the unpruned join's %d", kind, len(got), len(want))
			}
		}
		// An unread column that fails on some rows (a bid's price
		// divided by its parity), in the Calc below the join or in a
		// view under it: kept, the job fails as the unpruned one does.
		for _, b := range []string{fmt.Sprintf(left, "1000 / MOD(bid.price, 2) AS bad,"), fmt.Sprintf(view2, ", 1000 / MOD(bid.price, 2) AS bad")} {
			if _, _, werr := run(script(b), false); werr == nil {
				t.Fatalf("%s: the unpruned job did not fail", kind)
			} else if _, _, err := run(script(b), true); err == nil || werr.Error() != err.Error() {
				t.Errorf("%s: the pruned job failed with %v, the unpruned with %v (an unread failing column was pruned)", kind, err, werr)
			}
		}
	}
}
