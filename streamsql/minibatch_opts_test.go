package streamsql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

func rvExplain(t *testing.T, latency string) (string, error) {
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{valuesFactory{dir: t.TempDir()}, col}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.Exec(ctx, `SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '`+latency+`';
SET 'table.exec.mini-batch.size' = '50000';
CREATE TABLE ev (k STRING, v BIGINT) WITH ('connector' = 'values');
CREATE TABLE out (k STRING, n BIGINT) WITH ('connector' = 'collect');
EXPLAIN INSERT INTO out SELECT k, COUNT(*) FROM ev GROUP BY k;`)
	if err != nil {
		return "", err
	}
	return res.Text, nil
}

// Flink: allow-latency is read with toMillis() and must be > 0
// ("MiniBatch Latency must be greater than 0 ms."): '500 us' is refused.
func TestMiniBatchSubMillisecondLatencyRefused(t *testing.T) {
	if out, err := rvExplain(t, "500us"); err == nil {
		t.Errorf("allow-latency '500us' accepted (Flink: toMillis() = 0, refused):\n%s", out)
	}
}

// Flink's plan line is MiniBatchAssigner(interval=[2000ms], mode=[ProcTime])
// (no size); Flink places it over the source scan, strom under each
// mini-batched GroupAggregate (DESIGN.md §7).
func TestMiniBatchExplainFlinkLine(t *testing.T) {
	out, err := rvExplain(t, "2 s")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "MiniBatchAssigner(interval=[2000ms], mode=[ProcTime])") {
		t.Errorf("no Flink MiniBatchAssigner line:\n%s", out)
	}
}
