package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/nexmark"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkNexmarkSQLvsDataStream runs Nexmark queries written in SQL (the
// spec's text, internal/nexmark/sql) over the 'nexmark'
// table connector into 'blackhole', and the DataStream version of the same
// query over the generator into a discarding sink, side by side, at
// parallelism 1, and reports events per CPU-second of each (the issue's
// goal: SQL within 20 % of DataStream).
//
//	go test -run '^$' -bench NexmarkSQLvsDataStream -benchtime 1x -count 3 ./streamsql
func BenchmarkNexmarkSQLvsDataStream(b *testing.B) {
	const events = 2_000_000
	ddl, err := os.ReadFile("../internal/nexmark/sql/ddl.sql")
	if err != nil {
		b.Fatal(err)
	}
	src := strings.Replace(string(ddl), "'events.num' = '100000000'", fmt.Sprintf("'events.num' = '%d'", events), 1)
	for _, name := range []string{"q0", "q1", "q2", "q5", "q7", "q8"} {
		text, err := os.ReadFile(fmt.Sprintf("../internal/nexmark/sql/%s.sql", name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/sql", func(b *testing.B) {
			for range b.N {
				sess := streamsql.NewSession(streamsql.Options{Parallelism: 1,
					Factories: []connector.TableFactory{nexgen.TableFactory(), builtin.BlackholeFactory()}})
				cpu0, t0 := cpuSeconds(), time.Now()
				if _, err := sess.Exec(context.Background(), src+string(text)); err != nil {
					b.Fatal(err)
				}
				wall, cpu := time.Since(t0).Seconds(), cpuSeconds()-cpu0
				b.ReportMetric(events/cpu, "events/cpu-s")
				b.ReportMetric(events/wall, "events/s")
			}
		})
		if name == "q5" || name == "q8" {
			// With checkpoints on: one an hour (none is taken before the
			// end of the input), and one every 200 ms (several during the
			// run): a barrier folds the window buffers into keyed state,
			// and windows with a part in state fire through timers.
			for _, ck := range []struct {
				name     string
				interval time.Duration
			}{{"sql-checkpointed", time.Hour}, {"sql-checkpointed-200ms", 200 * time.Millisecond}} {
				b.Run(name+"/"+ck.name, func(b *testing.B) {
					for range b.N {
						var periodic, maxBytes int64
						sess := streamsql.NewSession(streamsql.Options{Parallelism: 1,
							Checkpoints: &stream.CheckpointOptions{Dir: b.TempDir(), Interval: ck.interval},
							Factories:   []connector.TableFactory{nexgen.TableFactory(), builtin.BlackholeFactory()},
							Execute: func(ctx context.Context, env *stream.Environment) error {
								job, err := env.Start(ctx)
								if err != nil {
									return err
								}
								err = job.Wait()
								st := job.Checkpoints()
								periodic, maxBytes = st.Periodic, st.MaxBytes
								return err
							}})
						cpu0, t0 := cpuSeconds(), time.Now()
						if _, err := sess.Exec(context.Background(), src+string(text)); err != nil {
							b.Fatal(err)
						}
						wall, cpu := time.Since(t0).Seconds(), cpuSeconds()-cpu0
						b.ReportMetric(events/cpu, "events/cpu-s")
						b.ReportMetric(events/wall, "events/s")
						b.ReportMetric(float64(periodic), "checkpoints")
						b.ReportMetric(float64(maxBytes), "max-ckpt-bytes")
					}
				})
			}
		}
		b.Run(name+"/datastream", func(b *testing.B) {
			q, err := nexmark.Lookup(name)
			if err != nil {
				b.Fatal(err)
			}
			for range b.N {
				cpu0, t0 := cpuSeconds(), time.Now()
				res, err := nexmark.Bench(context.Background(), q, nexmark.BenchOptions{
					Generator: nexgen.GeneratorConfig{Events: events, Rate: nexgen.DefaultRate}, LatencyInterval: -1})
				if err != nil {
					b.Fatal(err)
				}
				wall, cpu := time.Since(t0).Seconds(), cpuSeconds()-cpu0
				if res.Events != events {
					b.Fatalf("read %d events, want %d", res.Events, events)
				}
				b.ReportMetric(events/cpu, "events/cpu-s")
				b.ReportMetric(events/wall, "events/s")
			}
		})
		if name == "q5" || name == "q8" {
			// The DataStream version with the checkpoints of
			// sql-checkpointed-200ms (incremental, as the SQL runs').
			b.Run(name+"/datastream-checkpointed-200ms", func(b *testing.B) {
				q, err := nexmark.Lookup(name)
				if err != nil {
					b.Fatal(err)
				}
				for range b.N {
					cpu0, t0 := cpuSeconds(), time.Now()
					res, err := nexmark.Bench(context.Background(), q, nexmark.BenchOptions{
						Generator: nexgen.GeneratorConfig{Events: events, Rate: nexgen.DefaultRate}, LatencyInterval: -1,
						CheckpointInterval: 200 * time.Millisecond, CheckpointDir: b.TempDir()})
					if err != nil {
						b.Fatal(err)
					}
					wall, cpu := time.Since(t0).Seconds(), cpuSeconds()-cpu0
					if res.Events != events {
						b.Fatalf("read %d events, want %d", res.Events, events)
					}
					b.ReportMetric(events/cpu, "events/cpu-s")
					b.ReportMetric(events/wall, "events/s")
					b.ReportMetric(float64(res.Checkpoints-1), "checkpoints") // periodic: less the end-of-input one
					b.ReportMetric(float64(res.CheckpointBytesMax), "max-ckpt-bytes")
				}
			})
		}
	}
}
