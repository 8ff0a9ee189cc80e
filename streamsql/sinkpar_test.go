package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestSinkParallelism: a sink table's 'sink.parallelism' runs its writers
// at that parallelism. An updating query into it is hashed by the table's
// primary key: every change of a key is written by one subtask, in the
// order the aggregation made them (each -U retracts the row before it,
// the counts rise to the total). An insert-only query without a key is
// spread over every subtask. A sink at its input's parallelism takes an
// updating query without a key (forward, as Flink).
func TestSinkParallelism(t *testing.T) {
	const keys, per = 40, 25
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < per; i++ {
		for k := 0; k < keys; k++ {
			fmt.Fprintf(&b, "{\"k\": %d, \"v\": %d}\n", k, i)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, jobPar := range []int{1, 2} {
		t.Run(fmt.Sprintf("job-parallelism-%d", jobPar), func(t *testing.T) {
			col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
			s := streamsql.NewSession(streamsql.Options{Parallelism: jobPar, Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}})
			script := fmt.Sprintf(`
CREATE TABLE t (k BIGINT, v BIGINT) WITH ('connector' = 'values');
CREATE TABLE counts (k BIGINT, n BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'collect', 'sink.parallelism' = '3');
CREATE TABLE copy (k BIGINT, v BIGINT) WITH ('connector' = 'collect', 'sink.parallelism' = '3');
CREATE TABLE same (k BIGINT, n BIGINT) WITH ('connector' = 'collect', 'sink.parallelism' = '%d');
EXECUTE STATEMENT SET BEGIN
INSERT INTO counts SELECT k, COUNT(*) FROM t GROUP BY k;
INSERT INTO copy SELECT k, v FROM t;
INSERT INTO same SELECT k, COUNT(*) FROM t GROUP BY k;
END;`, jobPar)
			if _, err := s.Exec(context.Background(), script); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"counts", "copy"} {
				if got := col.sinkPar[name]; got != 3 {
					t.Errorf("%s: writers opened at parallelism %d, want 3", name, got)
				}
			}
			if got := col.sinkPar["same"]; got != jobPar {
				t.Errorf("same: writers opened at parallelism %d, want %d", got, jobPar)
			}
			// counts: one subtask per key, each key's changes in order (the
			// aggregation before the sink is keyed by the sink's key).
			subtaskOf := map[int64]int{}
			last := map[int64]*table.Row{}
			used := map[int]bool{}
			for i, r := range col.rows["counts"] {
				k, n := r.Fields[0].AsInt(), r.Fields[1].AsInt()
				st := col.subtasks["counts"][i]
				used[st] = true
				if prev, ok := subtaskOf[k]; ok && prev != st {
					t.Fatalf("key %d written by subtasks %d and %d", k, prev, st)
				}
				subtaskOf[k] = st
				prev := last[k]
				switch r.Kind {
				case table.Insert:
					if prev != nil {
						t.Fatalf("key %d: +I after %s", k, prev)
					}
				case table.UpdateBefore:
					if prev == nil || prev.Fields[1].AsInt() != n {
						t.Fatalf("key %d: %s does not retract the row before it (%v)", k, r, prev)
					}
					last[k] = nil
					continue
				case table.UpdateAfter:
					if prev != nil {
						t.Fatalf("key %d: +U after %s without -U", k, prev)
					}
				default:
					t.Fatalf("key %d: unexpected %s", k, r)
				}
				r := r
				last[k] = &r
			}
			if len(last) != keys {
				t.Fatalf("counts has %d keys, want %d", len(last), keys)
			}
			for k, r := range last {
				if r == nil || r.Fields[1].AsInt() != per {
					t.Fatalf("key %d ends at %v, want a count of %d", k, r, per)
				}
			}
			if len(used) < 2 {
				t.Errorf("counts: the %d keys were written by %d subtask(s), want them spread over the 3", keys, len(used))
			}
			// copy: insert-only, rebalanced over every subtask.
			if n := len(col.rows["copy"]); n != keys*per {
				t.Fatalf("copy has %d rows, want %d", n, keys*per)
			}
			spread := map[int]int{}
			for _, st := range col.subtasks["copy"] {
				spread[st]++
			}
			if len(spread) != 3 {
				t.Errorf("copy: rows per subtask %v, want rows on each of the 3", spread)
			}
		})
	}
}
