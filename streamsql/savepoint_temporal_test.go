package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestSavepointRestoresTemporalState stops a job with an event-time
// temporal join and a temporal sort with a savepoint while rows wait in
// their state, and starts it again from it over more input: the waiting
// orders join the versions valid at their times (one stored before the
// savepoint, one after), and the sort emits the order it held.
func TestSavepointRestoresTemporalState(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, lines ...string) {
		if err := os.WriteFile(filepath.Join(dir, name+".jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `
		CREATE TABLE orders (id BIGINT, cur STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector' = 'values');
		CREATE TABLE rates (code STRING, rate DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
			PRIMARY KEY (code) NOT ENFORCED) WITH ('connector' = 'values');
		CREATE TABLE joined (id BIGINT, rate DOUBLE) WITH ('connector' = 'collect');
		CREATE TABLE sorted (id BIGINT) WITH ('connector' = 'collect');
		EXECUTE STATEMENT SET BEGIN
		INSERT INTO joined SELECT o.id, r.rate FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.code;
		INSERT INTO sorted SELECT id FROM orders ORDER BY ts;
		END;`
	run := func(ck *stream.CheckpointOptions, done func(job *streamsql.Job, col *collectFactory) bool, sp string) *collectFactory {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Checkpoints: ck,
			Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		job, _, err := s.Submit(ctx, script)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the rows", func() bool {
			col.mu.Lock()
			defer col.mu.Unlock()
			return done(job, col)
		})
		if _, err := job.Savepoint(ctx, filepath.Join(dir, sp), true); err != nil {
			t.Fatal(err)
		}
		if err := job.Wait(); err != nil && !strings.Contains(err.Error(), "stopped") {
			t.Fatalf("wait: %v", err)
		}
		return col
	}
	str := func(col *collectFactory, name string) string {
		var out []string
		for _, r := range col.rows[name] {
			out = append(out, r.String())
		}
		return strings.Join(out, " ")
	}
	orders := []string{`{"id": 1, "cur": "EUR", "ts": 3000}`, `{"id": 2, "cur": "EUR", "ts": 9000}`}
	rates := []string{`{"code": "EUR", "rate": 1.1, "ts": 0}`}
	write("orders", orders...)
	write("rates", rates...)
	col := run(&stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: 20 * time.Millisecond},
		func(job *streamsql.Job, col *collectFactory) bool {
			return len(col.rows["sorted"]) == 1 && recordsInto(job, "temporal-join:rates") == 3
		}, "sp")
	if got := str(col, "sorted") + "|" + str(col, "joined"); got != "+I(1)|" {
		t.Fatalf("before the savepoint: %s", got)
	}
	write("orders", append(orders, `{"id": 3, "cur": "USD", "ts": 30000}`)...)
	write("rates", append(rates, `{"code": "EUR", "rate": 1.5, "ts": 6000}`, `{"code": "USD", "rate": 1.0, "ts": 30000}`)...)
	col = run(&stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: 20 * time.Millisecond,
		FromSavepoint: filepath.Join(dir, "sp")},
		func(_ *streamsql.Job, col *collectFactory) bool {
			return len(col.rows["joined"]) == 2 && len(col.rows["sorted"]) == 1
		}, "sp2")
	if got := str(col, "sorted") + "|" + str(col, "joined"); got != "+I(2)|+I(1, 1.1E0) +I(2, 1.5E0)" {
		t.Fatalf("after the restore: %s", got)
	}
}
