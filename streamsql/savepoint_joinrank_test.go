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

// TestSavepointRestoresJoinTopN stops q9's plan shape (an inner regular
// join then a ROW_NUMBER Top-N per auction) with a savepoint and starts
// it from it over more input: a bid after the restore pairs with an
// auction of the restored join state and beats the winner of the
// restored Top-N state (-U of that row, read back from the savepoint),
// and an auction after the restore pairs with a bid kept before it.
func TestSavepointRestoresJoinTopN(t *testing.T) {
	dir := t.TempDir()
	rows := []string{
		`{"k": "A", "id": 1, "lo": 0, "hi": 100, "name": "x"}`,
		`{"k": "B", "id": 1, "bidder": 1, "price": 5, "t": 10}`,
		`{"k": "B", "id": 2, "bidder": 2, "price": 7, "t": 10}`,
		`{"k": "B", "id": 1, "bidder": 4, "price": 3, "t": 11}`,
	}
	more := []string{
		`{"k": "B", "id": 1, "bidder": 3, "price": 9, "t": 20}`,
		`{"k": "A", "id": 2, "lo": 0, "hi": 100, "name": "y"}`,
	}
	write := func(lines []string) {
		if err := os.WriteFile(filepath.Join(dir, "ev.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `
		CREATE TABLE ev (k STRING, id BIGINT, lo BIGINT, hi BIGINT, name STRING, bidder BIGINT, price BIGINT, t BIGINT) WITH ('connector' = 'values');
		CREATE VIEW auction AS SELECT id, lo, hi, name FROM ev WHERE k = 'A';
		CREATE VIEW bid AS SELECT id AS auction, bidder, price, t FROM ev WHERE k = 'B';
		CREATE TABLE top (id BIGINT, name STRING, bidder BIGINT, price BIGINT) WITH ('connector' = 'collect');
		INSERT INTO top SELECT id, name, bidder, price FROM (
		  SELECT A.*, B.bidder, B.price, ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.t ASC) AS rn
		  FROM auction A, bid B WHERE A.id = B.auction AND B.t BETWEEN A.lo AND A.hi) WHERE rn <= 1;`
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
		stopAtRows(t, ctx, job, col, map[string]int{"top": want}, filepath.Join(dir, sp))
		col.mu.Lock()
		defer col.mu.Unlock()
		var out []string
		for _, r := range col.rows["top"] {
			out = append(out, r.String())
		}
		return strings.Join(out, " ")
	}
	write(rows)
	if got := run(&stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: 20 * time.Millisecond}, 1, "sp"); got != "+I(1, 'x', 1, 5)" {
		t.Fatalf("before the savepoint: %s", got)
	}
	write(append(rows, more...))
	got := run(&stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: 20 * time.Millisecond,
		FromSavepoint: filepath.Join(dir, "sp")}, 3, "sp2")
	// The two join inputs are separate channels: the rows of different
	// keys may come in either order, those of one key in order.
	rest, ok := strings.CutPrefix(strings.Replace(got, "+I(2, 'y', 2, 7)", "", 1), " ")
	if !ok {
		rest = strings.TrimSuffix(strings.Replace(got, "+I(2, 'y', 2, 7)", "", 1), " ")
	}
	if !strings.Contains(got, "+I(2, 'y', 2, 7)") || rest != "-U(1, 'x', 1, 5) +U(1, 'x', 3, 9)" {
		t.Errorf("after the restore: %s, want -U(1, 'x', 1, 5) +U(1, 'x', 3, 9) and +I(2, 'y', 2, 7)", got)
	}
}

// TestSavepointRestoresFusedJoinTopN is TestSavepointRestoresJoinTopN
// with the auction ids a stated unique key among the auction rows, so
// that the plan is the fused join Top-N (planner/joinrank.go): it stops
// q9's plan shape with a savepoint and starts
// it from it over more input: a bid after the restore pairs with an
// auction of the restored join state and beats the winner of the
// restored Top-N state (-U of that row, read back from the savepoint),
// and an auction after the restore pairs with a bid kept before it.
func TestSavepointRestoresFusedJoinTopN(t *testing.T) {
	fusedJoinTopNSavepoint(t, "A.*, B.bidder, B.price", "auction A, bid B")
}

// TestSavepointRestoresFusedJoinTopNUniqueRight is the fused plan's
// savepoint test with the unique side (the auctions) on the join's right
// (FROM bid B, auction A): the top rows' columns of A are taken from the
// restored unique row (joinRankStored's offset of the right side's
// columns in the pair), the others from the state.
func TestSavepointRestoresFusedJoinTopNUniqueRight(t *testing.T) {
	fusedJoinTopNSavepoint(t, "B.bidder, B.price, A.*", "bid B, auction A")
}

// fusedJoinTopNSavepoint runs the fused join Top-N's savepoint test with
// the join's select list and FROM clause given.
func fusedJoinTopNSavepoint(t *testing.T, sel, from string) {
	t.Helper()
	dir := t.TempDir()
	rows := []string{
		`{"k": 1, "id": 1, "lo": 0, "hi": 100, "name": "x"}`,
		`{"k": 2, "id": 1, "bidder": 1, "price": 5, "t": 10}`,
		`{"k": 2, "id": 2, "bidder": 2, "price": 7, "t": 10}`,
		`{"k": 2, "id": 1, "bidder": 4, "price": 3, "t": 11}`,
	}
	more := []string{
		`{"k": 2, "id": 1, "bidder": 3, "price": 9, "t": 20}`,
		`{"k": 1, "id": 2, "lo": 0, "hi": 100, "name": "y"}`,
	}
	write := func(lines []string) {
		if err := os.WriteFile(filepath.Join(dir, "ev.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `
		CREATE TABLE ev (k INT, id BIGINT, lo BIGINT, hi BIGINT, name STRING, bidder BIGINT, price BIGINT, t BIGINT) WITH ('connector' = 'values', 'unique-key' = 'id', 'unique-key-tag' = 'k=1');
		CREATE VIEW auction AS SELECT id, lo, hi, name FROM ev WHERE k = 1;
		CREATE VIEW bid AS SELECT id AS auction, bidder, price, t FROM ev WHERE k = 2;
		CREATE TABLE top (id BIGINT, name STRING, bidder BIGINT, price BIGINT) WITH ('connector' = 'collect');
		INSERT INTO top SELECT id, name, bidder, price FROM (
		  SELECT ` + sel + `, ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.t ASC) AS rn
		  FROM ` + from + ` WHERE A.id = B.auction AND B.t BETWEEN A.lo AND A.hi) WHERE rn <= 1;`
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
		stopAtRows(t, ctx, job, col, map[string]int{"top": want}, filepath.Join(dir, sp))
		col.mu.Lock()
		defer col.mu.Unlock()
		var out []string
		for _, r := range col.rows["top"] {
			out = append(out, r.String())
		}
		return strings.Join(out, " ")
	}
	// The plan is the fused one.
	{
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
			Factories: []connector.TableFactory{openValues{valuesFactory{dir: dir}}, &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}}})
		k := strings.Index(script, "INSERT INTO")
		if _, err := s.Exec(context.Background(), script[:k]); err != nil {
			t.Fatal(err)
		}
		res, err := s.Exec(context.Background(), "EXPLAIN "+script[k:])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Text, "JoinRank(") {
			t.Fatalf("not fused:\n%s", res.Text)
		}
	}
	write(rows)
	if got := run(&stream.CheckpointOptions{Dir: filepath.Join(dir, "ck1"), Interval: 20 * time.Millisecond}, 1, "sp"); got != "+I(1, 'x', 1, 5)" {
		t.Fatalf("before the savepoint: %s", got)
	}
	write(append(rows, more...))
	got := run(&stream.CheckpointOptions{Dir: filepath.Join(dir, "ck2"), Interval: 20 * time.Millisecond,
		FromSavepoint: filepath.Join(dir, "sp")}, 3, "sp2")
	// The two join inputs are separate channels: the rows of different
	// keys may come in either order, those of one key in order.
	rest, ok := strings.CutPrefix(strings.Replace(got, "+I(2, 'y', 2, 7)", "", 1), " ")
	if !ok {
		rest = strings.TrimSuffix(strings.Replace(got, "+I(2, 'y', 2, 7)", "", 1), " ")
	}
	if !strings.Contains(got, "+I(2, 'y', 2, 7)") || rest != "-U(1, 'x', 1, 5) +U(1, 'x', 3, 9)" {
		t.Errorf("after the restore: %s, want -U(1, 'x', 1, 5) +U(1, 'x', 3, 9) and +I(2, 'y', 2, 7)", got)
	}
}
