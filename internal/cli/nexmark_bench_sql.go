package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	nexmarkgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/nexmark"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
)

// `strom nexmark bench --sql` runs the SQL versions of the queries (the
// spec's text, nexmark.SQL, over the 'nexmark' table of nexmark.SQLSource
// into 'blackhole') in the same child processes and with the same
// measurements as the DataStream versions, except latency (the SQL jobs
// send no latency markers). --compare also runs the DataStream version of
// each query and prints the ratio of events/s/core, sql/datastream (issue
// 7's goal: at least 0.8).

// sqlQueries are the queries that have a SQL version.
func sqlQueries() []string {
	var out []string
	for _, n := range nexmark.Names() {
		if _, ok := nexmark.SQL(n); ok {
			out = append(out, n)
		}
	}
	return out
}

// nexmarkSQLSettings are the table options of Flink's own Nexmark harness
// (github.com/nexmark/nexmark, nexmark-flink/src/main/resources/conf/
// sql-client-defaults.yaml: table.exec.mini-batch.enabled: true,
// table.exec.mini-batch.allow-latency: 2s, table.exec.mini-batch.size:
// 50000), which the SQL jobs run with: the unbounded group aggregations
// fold their input in bundles (planner/groupagg_batch.go). The harness's
// table.optimizer.distinct-agg.split.enabled is not implemented in strom
// and not set.
const nexmarkSQLSettings = `SET 'table.exec.mini-batch.enabled' = 'true';
SET 'table.exec.mini-batch.allow-latency' = '2 s';
SET 'table.exec.mini-batch.size' = '50000';
`

// benchSQLChild runs the SQL version of query name in this process.
func benchSQLChild(ctx context.Context, cfg *nexmarkBenchConfig, name string, progress func(int64), interval time.Duration) (nexmark.BenchResult, error) {
	text, ok := nexmark.SQL(name)
	if !ok {
		return nexmark.BenchResult{}, fmt.Errorf("%s has no SQL version", name)
	}
	gen := cfg.generator(cfg.Events)
	src, err := nexmark.SQLSource(gen)
	if err != nil {
		return nexmark.BenchResult{}, err
	}
	sess := streamsql.NewSession(streamsql.Options{Parallelism: cfg.Parallelism, Name: "nexmark-sql-" + name,
		Factories: []connector.TableFactory{nexmarkgen.TableFactory(), builtin.BlackholeFactory()}})
	start := time.Now()
	job, _, err := sess.Submit(ctx, nexmarkSQLSettings+src+text)
	if err != nil {
		return nexmark.BenchResult{}, err
	}
	if job == nil {
		return nexmark.BenchResult{}, fmt.Errorf("the SQL of %s starts no job", name)
	}
	stop := context.AfterFunc(ctx, job.Cancel)
	defer stop()
	done := make(chan struct{})
	if progress != nil {
		go func() {
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					progress(sqlSourceEvents(job))
				}
			}
		}()
	}
	err = job.Wait()
	wall := time.Since(start)
	close(done)
	if err != nil {
		return nexmark.BenchResult{}, err
	}
	return nexmark.BenchResult{Query: name, Mode: "sql", Events: gen.Events, WallSeconds: wall.Seconds()}, nil
}

// sqlSourceEvents is the number of events the furthest scan of the
// 'nexmark' table has read (a query may scan it more than once).
func sqlSourceEvents(job *stream.Job) int64 {
	var best int64
	for _, v := range job.View() {
		for _, op := range v.Operators {
			if op.Name != "scan:nexmark" {
				continue
			}
			var n int64
			for _, st := range op.Subtasks {
				n += st.RecordsIn
			}
			best = max(best, n)
		}
	}
	return best
}
