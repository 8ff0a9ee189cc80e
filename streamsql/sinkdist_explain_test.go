package streamsql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/datagen"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestSinkDistExplainMatchesRun: the planner decides Sink.Dist on the
// job's parallelism unless the sink's input is a bare *Scan; a table with
// a watermark gives an identity Calc over the scan (SELECT *), which
// Translate drops, so the job runs scan -> sink forward (chained, at
// 'scan.parallelism' 2) while EXPLAIN says distribution=[rebalance].
func TestSinkDistExplainMatchesRun(t *testing.T) {
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	var planText string
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Factories: []connector.TableFactory{&datagen.Factory{}, col},
		Execute: func(ctx context.Context, env *stream.Environment) error {
			p, err := env.Plan()
			planText = p
			return err
		}})
	res, err := s.Exec(context.Background(), `
CREATE TABLE gen (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen', 'number-of-rows' = '10', 'scan.parallelism' = '2');
CREATE TABLE out (id BIGINT, ts TIMESTAMP(3)) WITH ('connector' = 'collect', 'sink.parallelism' = '2');
EXPLAIN INSERT INTO out SELECT * FROM gen;
INSERT INTO out SELECT * FROM gen;`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(planText, "scan:gen -> sink:out (parallelism 2)") && !strings.Contains(res.Text, "distribution=[forward]") {
		t.Errorf("the job runs the sink forward, chained to the scan:\n%s\nbut EXPLAIN says:\n%s", planText, res.Text)
	}
}
