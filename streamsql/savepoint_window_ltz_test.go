package streamsql_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestLTZWindowsAcrossSavepoint runs windows over a TIMESTAMP_LTZ rowtime
// in Europe/Berlin across the end of summer time (2024-10-27 01:00 UTC,
// where the hourly window from 02:00 holds two hours of rows and the day
// 25), rows read one at a time: a daily and an hourly
// TUMBLE count (the window operator, shifted), a window join and a window
// Top-N over the hourly windows, and a window aggregation over the daily
// counts' windows (both fire from memory without checkpoints). Three runs
// give the same window rows: the rows read to their end (every window
// fires), an unbounded run without checkpoints, and one stopped with a
// savepoint halfway, in the middle of windows, and restored from it.
func TestLTZWindowsAcrossSavepoint(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 11))
	// Timestamps only go up: a late row's fate in a window join of two
	// inputs of one source depends on which input's watermark the join
	// read first (the late rows of the window operators are tested with
	// the state and memory paths elsewhere).
	var rows []string
	const half = 40
	ts := time.Date(2024, 10, 26, 20, 0, 0, 0, time.UTC).UnixMilli()
	for range 2 * half {
		ts += int64(rng.IntN(12 * 60 * 1000))
		rows = append(rows, fmt.Sprintf(`{"k": "%c", "v": %d, "ms": %d}`, 'a'+rng.IntN(3), rng.IntN(100), ts))
	}
	// z, days ahead, fires every window of the rows above in the
	// unbounded runs; its own windows are left out.
	rows = append(rows, fmt.Sprintf(`{"k": "z", "v": 0, "ms": %d}`, ts+3*24*3600*1000))
	write := func(lines []string) {
		if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hour := `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' HOUR))`
	script := `
		SET 'table.local-time-zone' = 'Europe/Berlin';
		CREATE TABLE t (k STRING, v INT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values');
		CREATE TABLE seen (k STRING, n BIGINT) WITH ('connector' = 'collect');
		CREATE TABLE days (k STRING, ws STRING, wt TIMESTAMP_LTZ(3), n BIGINT, total INT) WITH ('connector' = 'collect');
		CREATE TABLE hours (k STRING, ws STRING, wt TIMESTAMP_LTZ(3), n BIGINT) WITH ('connector' = 'collect');
		CREATE TABLE pairs (k STRING, ws STRING, lv INT, rv INT) WITH ('connector' = 'collect');
		CREATE TABLE tops (k STRING, ws STRING, v INT) WITH ('connector' = 'collect');
		CREATE TABLE dayall (k STRING, ws STRING, n BIGINT) WITH ('connector' = 'collect');
		CREATE VIEW h AS SELECT * FROM ` + hour + `;
		CREATE VIEW d AS SELECT k, window_start, window_end, window_time, COUNT(*) AS n, SUM(v) AS total
			FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' DAY)) GROUP BY k, window_start, window_end, window_time;
		EXECUTE STATEMENT SET BEGIN
		INSERT INTO seen SELECT k, COUNT(*) FROM t GROUP BY k;
		INSERT INTO days SELECT k, CAST(window_start AS STRING), window_time, n, total FROM d;
		INSERT INTO hours SELECT k, CAST(window_start AS STRING), window_time, COUNT(*) FROM ` + hour + ` GROUP BY k, window_start, window_end, window_time;
		INSERT INTO pairs SELECT h1.k, CAST(h1.window_start AS STRING), h1.v, h2.v FROM h h1 JOIN h h2
			ON h1.k = h2.k AND h1.window_start = h2.window_start AND h1.window_end = h2.window_end WHERE h1.v < h2.v;
		INSERT INTO tops SELECT k, CAST(window_start AS STRING), v FROM (
			SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY v DESC, k) AS rn FROM h) WHERE rn = 1;
		INSERT INTO dayall SELECT MAX(k), CAST(window_start AS STRING), SUM(n) FROM d GROUP BY window_start, window_end;
		END;`
	sinks := []string{"days", "hours", "pairs", "tops", "dayall"}
	// result is what the window sinks received, z's rows left out, sorted.
	result := func(cols ...*collectFactory) []string {
		var out []string
		for _, col := range cols {
			col.mu.Lock()
			for _, name := range sinks {
				for _, r := range col.rows[name] {
					if r.Fields[0].String() != "'z'" {
						out = append(out, name+" "+r.String())
					}
				}
			}
			col.mu.Unlock()
		}
		slices.Sort(out)
		return out
	}
	newCol := func() *collectFactory {
		return &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	write(rows)
	ref := newCol()
	{
		rs := streamsql.NewSession(streamsql.Options{Parallelism: 1,
			Factories: []connector.TableFactory{boundedOneValues{valuesFactory{dir: dir}}, ref}})
		rjob, _, err := rs.Submit(ctx, script)
		if err != nil {
			t.Fatal(err)
		}
		if err := rjob.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	want := result(ref)
	for _, name := range sinks {
		if len(ref.rows[name]) == 0 {
			t.Fatalf("no rows in %s: %v", name, want)
		}
	}
	// The day of October 27 in Berlin: from 22:00 UTC the day before, its
	// window_time 22:59:59.999 UTC (25 hours on).
	if !strings.Contains(strings.Join(want, "\n"), "'2024-10-27 00:00:00.000', TIMESTAMP '2024-10-27 22:59:59.999'") {
		t.Fatalf("no Berlin day window of 2024-10-27: %v", want)
	}
	waitFor := func(what string, cols ...*collectFactory) []string {
		for {
			got := result(cols...)
			if len(got) >= len(want) {
				return got
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s: %d window rows, want %d: missing %v", what, len(got), len(want), missing(want, got))
			case <-time.After(10 * time.Millisecond):
			}
		}
	}

	mem := newCol()
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Factories: []connector.TableFactory{openOneValues{openValues{valuesFactory{dir: dir}}}, mem}})
	job, _, err := s.Submit(ctx, script)
	if err != nil {
		t.Fatal(err)
	}
	got := waitFor("without checkpoints", mem)
	job.Cancel()
	_ = job.Wait()
	if !slices.Equal(got, want) {
		t.Fatalf("without checkpoints:\n%s\nrows read to their end:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	write(rows[:half])
	first := newCol()
	s = streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: time.Hour},
		Factories:   []connector.TableFactory{openOneValues{openValues{valuesFactory{dir: dir}}}, first}})
	if job, _, err = s.Submit(ctx, script); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	seen := 0 // GROUP BY k changelog rows of the first half
	for _, r := range rows[:half] {
		if k := r[:12]; keys[k] {
			seen += 2
		} else {
			keys[k], seen = true, seen+1
		}
	}
	for {
		first.mu.Lock()
		n := len(first.rows["seen"])
		first.mu.Unlock()
		if n >= seen {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d rows of seen, want %d", n, seen)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := job.Savepoint(ctx, filepath.Join(dir, "sp"), true); err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil && !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("wait: %v", err)
	}
	if len(result(first)) == len(want) {
		t.Fatalf("every window fired before the savepoint: it is not in the middle of windows")
	}
	write(rows)
	second := newCol()
	s = streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: time.Hour, FromSavepoint: filepath.Join(dir, "sp")},
		Factories:   []connector.TableFactory{openOneValues{openValues{valuesFactory{dir: dir}}}, second}})
	if job, _, err = s.Submit(ctx, script); err != nil {
		t.Fatal(err)
	}
	got = waitFor("across a savepoint", first, second)
	job.Cancel()
	_ = job.Wait()
	if !slices.Equal(got, want) {
		t.Fatalf("across a savepoint:\n%s\nrows read to their end:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// missing is want without got (both sorted), for a failure message.
func missing(want, got []string) []string {
	var out []string
	for _, w := range want {
		if i, ok := slices.BinarySearch(got, w); ok {
			got = slices.Delete(slices.Clone(got), i, i+1)
		} else {
			out = append(out, w)
		}
	}
	return out
}
