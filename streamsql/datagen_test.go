package streamsql_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/datagen"
	fileconn "github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestDatagenSavepointRestore stops a job reading a datagen table with a
// savepoint half-way and starts it again from it, into the exactly-once
// filesystem sink: the rows of both runs together are those of an
// uninterrupted run, each once (the splits' positions are their row
// counts; the values a function of the seed and the row). Without 'seed'
// the random default is kept in the positions, so the restored run still
// gives every id once. A restore at another parallelism is refused with
// the way out.
//
// The source is rate-limited to 1500 rows/s (2 s for all) so that the
// stop at a third is taken before the end on a loaded machine: at 6000
// rows/s (0.5 s in all) a slow poll and savepoint let every row through
// and the test failed under load.
func TestDatagenSavepointRestore(t *testing.T) {
	const rows = 3000
	script := func(seed, out string) string {
		opt := ""
		if seed != "" {
			opt = fmt.Sprintf(", 'seed' = '%s'", seed)
		}
		return fmt.Sprintf(`
		CREATE TABLE gen (id BIGINT, v INT, s STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '1500',
			'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '%d',
			'fields.v.min' = '0', 'fields.v.max' = '1000000', 'fields.s.length' = '6'%s);
		CREATE TABLE out (id BIGINT, v INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv');
		INSERT INTO out SELECT id, v, s FROM gen;`, rows, opt, out)
	}
	// run submits the script at parallelism par, from savepoint from (""
	// for none); with stopAt > 0 it stops the job with a savepoint into
	// sp once the source has read that many rows, else it waits for the
	// end.
	run := func(t *testing.T, text string, par int, from, sp string, stopAt int64) error {
		ck := &stream.CheckpointOptions{Dir: filepath.Join(t.TempDir(), "ck"), Interval: time.Hour, FromSavepoint: from}
		s := streamsql.NewSession(streamsql.Options{Parallelism: par, Checkpoints: ck,
			Factories: []connector.TableFactory{datagen.TableFactory(), fileconn.FilesystemTableFactory()}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		job, _, err := s.Submit(ctx, text)
		if err != nil {
			return err
		}
		if stopAt > 0 {
			waitFor(t, "the first rows", func() bool { return recordsOutOf(job, "scan:gen") >= stopAt })
			if _, err := job.Savepoint(ctx, sp, true); err != nil {
				t.Fatal(err)
			}
		}
		if err := job.Wait(); err != nil && !strings.Contains(err.Error(), "stopped") {
			return err
		}
		return nil
	}
	// read returns the committed rows under dir, sorted.
	read := func(t *testing.T, dir string) []string {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
			Factories: []connector.TableFactory{col, fileconn.FilesystemTableFactory()}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := s.Exec(ctx, fmt.Sprintf(`CREATE TABLE f (id BIGINT, v INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv');
			CREATE TABLE back (id BIGINT, v INT, s STRING) WITH ('connector' = 'collect');
			INSERT INTO back SELECT * FROM f;`, dir))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range col.rows["back"] {
			out = append(out, r.String())
		}
		slices.Sort(out)
		return out
	}
	for _, seed := range []string{"42", ""} {
		t.Run("seed="+seed, func(t *testing.T) {
			sp, out := filepath.Join(t.TempDir(), "sp"), filepath.Join(t.TempDir(), "out")
			if err := run(t, script(seed, out), 2, "", sp, rows/3); err != nil {
				t.Fatal(err)
			}
			if n := len(read(t, out)); n >= rows || n == 0 {
				t.Fatalf("%d rows committed by the savepoint, want some of %d", n, rows)
			}
			err := run(t, script(seed, out), 3, sp, "", 0)
			if err == nil || !strings.Contains(err.Error(), "'scan.parallelism' = '2'") {
				t.Fatalf("a restore at parallelism 3: %v", err)
			}
			if err := run(t, script(seed, out), 2, sp, "", 0); err != nil {
				t.Fatal(err)
			}
			got := read(t, out)
			seen := map[string]bool{}
			for _, r := range got {
				id, _, _ := strings.Cut(strings.TrimPrefix(r, "+I("), ",")
				if seen[id] {
					t.Fatalf("id %s twice", id)
				}
				seen[id] = true
			}
			if len(seen) != rows {
				t.Fatalf("%d ids, want %d", len(seen), rows)
			}
			if seed == "" {
				return
			}
			whole := filepath.Join(t.TempDir(), "whole")
			if err := run(t, script(seed, whole), 2, "", "", 0); err != nil {
				t.Fatal(err)
			}
			if want := read(t, whole); !slices.Equal(got, want) {
				t.Fatalf("restored rows differ from an uninterrupted run's")
			}
		})
	}
}

// recordsOutOf is the number of records the operator op emitted.
func recordsOutOf(job *streamsql.Job, op string) int64 {
	var n int64
	for _, v := range job.View() {
		for _, o := range v.Operators {
			if o.Name == op {
				for _, s := range o.Subtasks {
					n += s.RecordsOut
				}
			}
		}
	}
	return n
}

// TestDatagenScanParallelism: 'scan.parallelism' runs the source
// operator with that many subtasks (the job's parallelism is 1), each
// generating its part of the sequence.
func TestDatagenScanParallelism(t *testing.T) {
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Factories: []connector.TableFactory{datagen.TableFactory(), col}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job, _, err := s.Submit(ctx, `
		CREATE TABLE gen (id INT) WITH ('connector' = 'datagen', 'scan.parallelism' = '3',
			'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100');
		CREATE TABLE out (id INT) WITH ('connector' = 'collect');
		INSERT INTO out SELECT id FROM gen;`)
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	subtasks := map[string]int{}
	for _, v := range job.View() {
		for _, o := range v.Operators {
			subtasks[o.Name] = len(o.Subtasks)
		}
	}
	if subtasks["scan:gen"] != 3 {
		t.Fatalf("subtasks per operator: %v, want 3 of scan:gen", subtasks)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	seen := map[int64]bool{}
	for _, r := range col.rows["out"] {
		seen[r.Fields[0].AsInt()] = true
	}
	if len(seen) != 100 || len(col.rows["out"]) != 100 {
		t.Fatalf("%d rows, %d ids, want 100", len(col.rows["out"]), len(seen))
	}
}

// TestDatagenCancel cancels jobs whose rate-limited datagen source waits
// for its next row: every one ends with stream.ErrCanceled, none with the
// source's failure (the wait cut short is nothing to read, not an error).
func TestDatagenCancel(t *testing.T) {
	for i := range 6 {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 2,
			Factories: []connector.TableFactory{datagen.TableFactory(), col}})
		job, _, err := s.Submit(context.Background(), `
		CREATE TABLE gen (id INT) WITH ('connector' = 'datagen', 'rows-per-second' = '1');
		CREATE TABLE out (id INT) WITH ('connector' = 'collect');
		INSERT INTO out SELECT id FROM gen;`)
		if err != nil {
			t.Fatal(err)
		}
		// The first row of each split comes at once, the next after 2 s:
		// the sources are waiting for the rate limit.
		waitFor(t, "the first rows", func() bool { return recordsOutOf(job, "scan:gen") >= 2 })
		job.Cancel()
		if err := job.Wait(); !errors.Is(err, stream.ErrCanceled) || strings.Contains(err.Error(), "datagen") {
			t.Fatalf("run %d: a cancelled job ends with %v, want %v", i, err, stream.ErrCanceled)
		}
	}
}

// TestDatagenScanParallelismAboveMax: a 'scan.parallelism' above the
// job's max parallelism is refused when the job is planned, naming the
// option and the bound.
func TestDatagenScanParallelismAboveMax(t *testing.T) {
	for _, c := range []struct {
		maxPar, scanPar int
		want            string
	}{
		{0, 200, "option 'scan.parallelism' is '200', above the job's max parallelism 128"},
		{4, 5, "lower 'scan.parallelism' to at most 4"},
		{4, 4, ""},
	} {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, MaxParallelism: c.maxPar,
			Factories: []connector.TableFactory{datagen.TableFactory(), col}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		job, _, err := s.Submit(ctx, fmt.Sprintf(`
		CREATE TABLE gen (id INT) WITH ('connector' = 'datagen', 'scan.parallelism' = '%d', 'number-of-rows' = '10');
		CREATE TABLE out (id INT) WITH ('connector' = 'collect');
		INSERT INTO out SELECT id FROM gen;`, c.scanPar))
		if err == nil {
			err = job.Wait()
		}
		cancel()
		if c.want == "" {
			if err != nil {
				t.Errorf("max %d, scan.parallelism %d: %v", c.maxPar, c.scanPar, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "table `gen`") {
			t.Errorf("max %d, scan.parallelism %d: got %v, want %q", c.maxPar, c.scanPar, err, c.want)
		}
	}
}

// TestDatagenComputedColumnOption: a per-column option of a computed
// column is refused as such (the planner passes the computed columns to
// the factory), not as an option of a column the table does not have.
func TestDatagenComputedColumnOption(t *testing.T) {
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Factories: []connector.TableFactory{datagen.TableFactory(), col}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job, _, err := s.Submit(ctx, `
		CREATE TABLE gen (a INT, c AS a + 1) WITH ('connector' = 'datagen', 'number-of-rows' = '10', 'fields.c.min' = '1');
		CREATE TABLE out (a INT, c INT) WITH ('connector' = 'collect');
		INSERT INTO out SELECT a, c FROM gen;`)
	if err == nil {
		err = job.Wait()
	}
	if err == nil || !strings.Contains(err.Error(), "option 'fields.c.min': column 'c' is computed (AS a + 1)") {
		t.Fatalf("an option of a computed column: %v", err)
	}
}
