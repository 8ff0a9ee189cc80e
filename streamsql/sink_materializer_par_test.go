package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestSinkMaterializerRunsAtSinkParallelism: without 'sink.parallelism'
// the SinkMaterializer runs at the sink's parallelism (the job's), not at
// its input's: a rebalance between it and the sink would reorder a key's
// rows. The input here, a changelog scan, runs at its 'scan.parallelism'
// 3, the job at 2.
func TestSinkMaterializerRunsAtSinkParallelism(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "orders.jsonl"), []byte("{\"op\":\"+I\",\"oid\":1,\"cust\":0}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	var planText string
	s := streamsql.NewSession(streamsql.Options{Parallelism: 2,
		Factories: []connector.TableFactory{parValuesFactory{valuesFactory{dir: dir}}, col},
		Execute: func(ctx context.Context, env *stream.Environment) error {
			p, err := env.Plan()
			planText = p
			return err
		}})
	_, err := s.Exec(context.Background(), `
CREATE TABLE orders (oid BIGINT, cust BIGINT, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'pvalues', 'changelog' = 'true', 'scan.parallelism' = '3');
CREATE TABLE bycust (oid BIGINT, cust BIGINT, PRIMARY KEY (cust) NOT ENFORCED) WITH ('connector' = 'collect');
INSERT INTO bycust SELECT * FROM orders;`)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(planText)
	if !regexp.MustCompile(`sink-materializer:bycust[^\n]*-> sink:bycust`).MatchString(planText) {
		t.Errorf("the SinkMaterializer is not chained to its sink:\n%s", planText)
	}
}

// parValuesFactory is the values connector ('pvalues') taking
// 'scan.parallelism'.
type parValuesFactory struct{ valuesFactory }

func (f parValuesFactory) Name() string { return "pvalues" }
func (f parValuesFactory) Options() []connector.TableOption {
	return append(f.valuesFactory.Options(), connector.TableOption{Key: connector.OptScanParallelism, Description: "the source's parallelism"})
}

// TestSinkMaterializerScanParallelism: a changelog scan keyed by the sink
// key needs no SinkMaterializer, except at a 'scan.parallelism' other
// than the job's (the edge to the Calc after it rebalances a key's rows).
func TestSinkMaterializerScanParallelism(t *testing.T) {
	for _, c := range []struct {
		scanPar string
		want    bool
	}{{"2", false}, {"3", true}} {
		s := streamsql.NewSession(streamsql.Options{Parallelism: 2,
			Factories: []connector.TableFactory{parValuesFactory{valuesFactory{dir: t.TempDir()}}, &collectFactory{}}})
		res, err := s.Exec(context.Background(), `
CREATE TABLE orders (oid BIGINT, cust BIGINT, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'pvalues', 'changelog' = 'true', 'scan.parallelism' = '`+c.scanPar+`');
CREATE TABLE byorder (oid BIGINT, cust BIGINT, u STRING, PRIMARY KEY (oid) NOT ENFORCED) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO byorder SELECT oid, cust, UUID() FROM orders;`)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(res.Text, "SinkMaterializer(pk=["); got != c.want {
			t.Errorf("scan.parallelism %s: SinkMaterializer %v, want %v:\n%s", c.scanPar, got, c.want, res.Text)
		}
	}
}
