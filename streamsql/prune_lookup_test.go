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
	"github.com/stromio/strom/streamsql"
)

// TestPruneLookupJoinMatchesUnpruned: a Calc over a lookup join that reads
// only some of the left input's columns narrows the left input
// (planner.pruneLookupJoin: the projected Nexmark scan reads fewer
// fields); its rows are those of the same Calc over the join when every
// left column is read (nothing pruned), on the Nexmark table's rows of
// every event type (the other members' fields NULL), with keys of several
// matches, of none, and NULL keys, for an inner and a LEFT join. A left
// column that may fail (a division) is kept when unread: the pruned job
// fails as the unpruned one does.
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
	sideFile := filepath.Join(t.TempDir(), "side.csv")
	if err := os.WriteFile(sideFile, []byte(side.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(script string) ([]string, string, error) {
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
	// ba's key: NULL for persons (a NULL key matches nothing).
	left := `SELECT event_type, bid.auction AS ba, bid.channel AS ch, bid.extra AS ex, auction.itemName AS item,
  person.name AS pn, auction.id AS aid, dateTime, %s PROCTIME() AS p_time FROM nexmark`
	for _, kind := range []string{"JOIN", "LEFT JOIN"} {
		view := func(extra string) string {
			return ddl + `
CREATE TABLE side_input (key BIGINT, ` + "`value`" + ` VARCHAR) WITH ('connector' = 'filesystem', 'path' = 'file://` + sideFile + `', 'format' = 'csv');
CREATE TABLE p (event_type INT, ch VARCHAR, v VARCHAR, dt TIMESTAMP(3)) WITH ('connector' = 'print');
CREATE TABLE w (event_type INT, ch VARCHAR, v VARCHAR, dt TIMESTAMP(3), ba BIGINT, ex VARCHAR, item VARCHAR, pn VARCHAR, aid BIGINT) WITH ('connector' = 'print');
CREATE VIEW j AS SELECT B.*, S.` + "`value`" + ` AS v FROM (` + fmt.Sprintf(left, extra) + `) B
  ` + kind + ` side_input FOR SYSTEM_TIME AS OF B.p_time AS S ON MOD(COALESCE(B.ba, B.aid), 13) = S.key;
`
		}
		got, sig, err := run(view("") + "INSERT INTO p SELECT event_type, ch, v, dateTime FROM j")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sig, "in0=[INT, BIGINT, STRING, BIGINT, TIMESTAMP(3)]") {
			t.Errorf("%s: the lookup join's input is not pruned: %s", kind, sig)
		}
		wide, _, err := run(view("") + "INSERT INTO w SELECT event_type, ch, v, dateTime, ba, ex, item, pn, aid FROM j")
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, r := range wide {
			f := strings.Split(strings.TrimSuffix(r, "]"), ", ")
			want = append(want, strings.Join(f[:max(len(f)-5, 0)], ", ")+"]")
		}
		slices.Sort(want)
		if len(got) < 2000 {
			t.Fatalf("%s: only %d rows", kind, len(got))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d rows differ from the unpruned join's %d", kind, len(got), len(want))
		}
		// An unread column that fails on some rows (a bid's price
		// divided by its parity): kept, the job fails.
		bad := view("1000 / MOD(bid.price, 2) AS bad,")
		if _, _, err := run(bad + "INSERT INTO p SELECT event_type, ch, v, dateTime FROM j"); err == nil {
			t.Errorf("%s: an unread failing column was pruned (the job did not fail)", kind)
		} else if _, _, werr := run(bad + "INSERT INTO w SELECT event_type, ch, v, dateTime, ba, ex, item, pn, aid FROM j"); werr == nil || werr.Error() != err.Error() {
			t.Errorf("%s: the pruned job failed with %v, the unpruned with %v", kind, err, werr)
		}
	}
}
