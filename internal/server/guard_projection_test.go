package server

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/web"
	"github.com/stromio/strom/journal"
	"github.com/stromio/strom/table"
)

// countingNexmark is the nexmark connector counting projected opens.
type countingNexmark struct {
	*nexmark.TableConnector
	projected *atomic.Int32
}

func (c countingNexmark) ProjectedTableSource(ctx context.Context, t connector.TableContext, fields [][]int) (connector.Source[table.Row], error) {
	c.projected.Add(1)
	return c.TableConnector.ProjectedTableSource(ctx, t, fields)
}

// The guard keeps connector.ProjectableTableSource: a guarded nexmark
// source still projects (the planner pushes the projection into it), and
// the check runs before the connector sees the options.
func TestGuardKeepsProjection(t *testing.T) {
	var projected atomic.Int32
	dir := t.TempDir()
	srv, err := Open(Config{DataDir: dir, Version: "test", Logger: quiet(), Out: io.Discard,
		Factories: func(j *journal.Journal, out io.Writer) []connector.TableFactory {
			return []connector.TableFactory{countingNexmark{nexmark.TableFactory(), &projected}, builtin.BlackholeFactory()}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	var nx connector.TableFactory
	for _, f := range srv.factories(nil) {
		if f.Name() == "nexmark" {
			nx = f
		}
	}
	pf, ok := nx.(connector.ProjectableTableSource)
	if !ok {
		t.Fatalf("the guarded nexmark factory (%T) is not a ProjectableTableSource", nx)
	}
	// The check first: a refused option never reaches the connector.
	bad := connector.TableContext{Name: "nx", Options: map[string]string{"connector": "nexmark", "x.url": "http://evil.example/"}}
	if _, err := pf.ProjectedTableSource(context.Background(), bad, [][]int{{0}}); err == nil {
		t.Fatal("a projected source bypassed the option check")
	}
	if n := projected.Load(); n != 0 {
		t.Fatalf("the connector was opened %d times with refused options", n)
	}

	sql := `CREATE TABLE nx (event_type INT, bid ROW<auction BIGINT, price BIGINT>) WITH ('connector' = 'nexmark', 'events.num' = '1000');
CREATE TABLE out (price BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT bid.price FROM nx WHERE event_type = 2;`
	js, err := srv.Submit(context.Background(), web.SubmitRequest{SQL: sql})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := srv.Job(js.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == web.StateFinished {
			break
		}
		if j.State == web.StateFailed || time.Now().After(deadline) {
			t.Fatalf("job %s: %s", js.ID, j.State)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
	if projected.Load() == 0 {
		t.Fatal("the planner did not push the projection into the guarded nexmark source")
	}
}
