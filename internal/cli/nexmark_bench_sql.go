package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	fileconn "github.com/stromio/strom/connector/file"
	nexmarkgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/nexmark"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
)

// `strom nexmark bench --sql` runs the SQL versions of the queries (the
// spec's text as nexmark.BenchSQL gives it, over the 'nexmark' table of
// nexmark.SQLSource into 'blackhole': q6 in its well-formed form, q10's
// 'filesystem' sink into a temporary directory, q13's 'filesystem' side
// input from --side-input or a generated file, q14's CountChar a Go
// function) in the same child processes and with the same measurements as
// the DataStream versions, except latency (the SQL jobs send no latency
// markers). --compare also runs the DataStream version of
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
	// The files of q10 and q13 as the DataStream version's (Bench): the
	// side input of --side-input or one generated, q10's output in a
	// temporary directory, removed at the end.
	// q10 takes one checkpoint, at the end of the input, which commits
	// the files of its exactly-once sink (nexmark.BenchSQLRun).
	run, err := nexmark.BenchSQL(name, nexmark.Config{SideInput: cfg.SideInput})
	if err != nil {
		return nexmark.BenchResult{}, err
	}
	defer run.Cleanup()
	gen := cfg.generator(cfg.Events)
	src, err := nexmark.SQLSource(gen)
	if err != nil {
		return nexmark.BenchResult{}, err
	}
	sess := streamsql.NewSession(streamsql.Options{Parallelism: cfg.Parallelism, Name: "nexmark-sql-" + name, Checkpoints: run.Checkpoints,
		Factories: []connector.TableFactory{nexmarkgen.TableFactory(), builtin.BlackholeFactory(), fileconn.FilesystemTableFactory()}})
	sess.RegisterNexmarkFunctions() // q14's CountChar
	start := time.Now()
	job, _, err := sess.Submit(ctx, nexmarkSQLSettings+src+run.Text)
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
