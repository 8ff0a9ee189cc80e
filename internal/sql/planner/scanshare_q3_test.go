package planner_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/sql/planner"
	"github.com/stromio/strom/streamsql"
)

// TestQ3PrefilterRunsCalcsOnlyOnTheirRows: the planner gives each of q3's
// Calcs over the shared nexmark scan the simple conjuncts of its filter
// (event_type = 0 for the persons, = 1 for the auctions, next to the
// conjuncts pushed through the join, which are not simple), so the
// pre-filter hands a Calc's function only the rows of its event type: 8
// of every 50 events in all, where without them both Calcs would be
// called with every row (2 per event). The rows each Calc emits are the
// same either way, so only a count of the calls tells.
func TestQ3PrefilterRunsCalcsOnlyOnTheirRows(t *testing.T) {
	src, err := os.ReadFile("../../nexmark/sql/ddl.sql")
	if err != nil {
		t.Fatal(err)
	}
	q3, err := os.ReadFile("../../nexmark/sql/q3.sql")
	if err != nil {
		t.Fatal(err)
	}
	const events = 5000
	script := strings.Replace(string(src), "'100000000'", "'5000'", 1) + "\n" + string(q3)
	rows, stop := planner.CountPrefilterCalcRows()
	defer stop()
	sess := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Factories: []connector.TableFactory{nexgen.TableFactory(), builtin.BlackholeFactory()}})
	job, _, err := sess.Submit(context.Background(), script)
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	var in int64
	for _, v := range job.View() {
		for _, o := range v.Operators {
			if o.Name == "scan-prefilter" {
				for _, s := range o.Subtasks {
					in += s.RecordsIn
				}
			}
		}
	}
	// Persons are 1 and auctions 3 of every 50 events: 400 of 5000.
	if n := rows(); in != events || n == 0 || n*4 > in {
		t.Errorf("pre-filter: %d rows in, %d handed to the Calcs: want each Calc called only on its event type's rows (~%d)", in, n, events*4/50)
	}
}
