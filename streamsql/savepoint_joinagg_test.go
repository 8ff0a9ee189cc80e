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

// TestSavepointRestoresJoinAgg stops q4's plan shape (a GROUP BY by the
// auction over an inner regular join in the unique mode: one fused
// operator, planner/joinagg.go) with a savepoint and starts it from it
// over more input: a bid after the restore pairs with an auction of the
// restored state and updates the restored accumulators (-U of the row
// read back from the savepoint), and an auction after the restore pairs
// with a bid that waited for it in the savepoint.
func TestSavepointRestoresJoinAgg(t *testing.T) {
	dir := t.TempDir()
	auctions := []string{`{"id": 1, "lo": 0, "hi": 100, "name": "x"}`}
	bids := []string{
		`{"auction": 1, "price": 5, "t": 10}`,
		`{"auction": 2, "price": 7, "t": 10}`,
		`{"auction": 1, "price": 3, "t": 11}`,
		`{"auction": 1, "price": 8, "t": 200}`,
	}
	write := func(name string, lines []string) {
		if err := os.WriteFile(filepath.Join(dir, name+".jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `
		CREATE TABLE auction (id BIGINT, lo BIGINT, hi BIGINT, name STRING) WITH ('connector' = 'values', 'unique-key' = 'id');
		CREATE TABLE bid (auction BIGINT, price BIGINT, t BIGINT) WITH ('connector' = 'values');
		CREATE TABLE top (id BIGINT, name STRING, final BIGINT, n BIGINT) WITH ('connector' = 'collect');
		INSERT INTO top SELECT A.id, A.name, MAX(B.price), COUNT(*)
		  FROM auction A, bid B WHERE A.id = B.auction AND B.t BETWEEN A.lo AND A.hi GROUP BY A.id, A.name;`
	run := func(ck *stream.CheckpointOptions, want int, sp string) string {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Checkpoints: ck,
			Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, col}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		job, _, err := s.Submit(ctx, script)
		if err != nil {
			t.Fatal(err)
		}
		fused := false
		for _, v := range job.View() {
			for _, o := range v.Operators {
				fused = fused || strings.HasSuffix(o.UID, "-join-agg")
			}
		}
		if !fused {
			t.Fatal("the join and the GROUP BY are not fused")
		}
		stopAtRows(t, ctx, job, col, map[string]int{"top": want}, filepath.Join(dir, sp))
		col.mu.Lock()
		defer col.mu.Unlock()
		var out []string
		for _, r := range col.rows["top"] {
			out = append(out, r.String())
		}
		return strings.Join(out, " ")
	}
	write("auction", auctions)
	write("bid", bids)
	if got, want := run(&stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: 20 * time.Millisecond}, 3, "sp"),
		"+I(1, 'x', 5, 1) -U(1, 'x', 5, 1) +U(1, 'x', 5, 2)"; got != want {
		t.Fatalf("before the savepoint: %s, want %s", got, want)
	}
	write("auction", append(auctions, `{"id": 2, "lo": 0, "hi": 100, "name": "y"}`))
	write("bid", append(bids, `{"auction": 1, "price": 9, "t": 20}`))
	got := run(&stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: 20 * time.Millisecond,
		FromSavepoint: filepath.Join(dir, "sp")}, 3, "sp2")
	// The two tables are separate sources: the rows of different keys
	// may come in either order, those of one key in order (and the
	// changelog of key 1 before the savepoint is the same whether its
	// bids came before or after its auction).
	rest, ok := strings.CutPrefix(strings.Replace(got, "+I(2, 'y', 7, 1)", "", 1), " ")
	if !ok {
		rest = strings.TrimSuffix(strings.Replace(got, "+I(2, 'y', 7, 1)", "", 1), " ")
	}
	if !strings.Contains(got, "+I(2, 'y', 7, 1)") || rest != "-U(1, 'x', 5, 2) +U(1, 'x', 9, 3)" {
		t.Errorf("after the restore: %s, want -U(1, 'x', 5, 2) +U(1, 'x', 9, 3) and +I(2, 'y', 7, 1)", got)
	}
}
