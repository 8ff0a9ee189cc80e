package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestCreateTableAsFailureLeavesNoTable: a CTAS whose query cannot be
// written to the new table (an updating query into an append-only sink)
// fails without leaving the table behind, so that a corrected CTAS of the
// same name runs; Submit runs a CTAS as one of the script's INSERTs;
// CREATE OR REPLACE TABLE ... AS replaces a table, or leaves it as it was
// when it fails.
func TestCreateTableAsFailureLeavesNoTable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte("{\"k\": \"a\", \"n\": 1}\n{\"k\": \"a\", \"n\": 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}})
	ctx := context.Background()
	if _, err := s.Exec(ctx, `CREATE TABLE t (k STRING, n BIGINT) WITH ('connector' = 'values')`); err != nil {
		t.Fatal(err)
	}
	_, err := s.Exec(ctx, `CREATE TABLE o WITH ('connector' = 'collect', 'append-only' = 'true') AS SELECT k, SUM(n) AS total FROM t GROUP BY k`)
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("err = %v, want the append-only refusal", err)
	}
	res, err := s.Exec(ctx, `SHOW TABLES`)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != "t\n" {
		t.Fatalf("SHOW TABLES after the failed CTAS = %q, want only t", res.Text)
	}
	job, _, err := s.Submit(ctx, `CREATE TABLE o WITH ('connector' = 'collect') AS SELECT k, SUM(n) AS total FROM t GROUP BY k`)
	if err != nil {
		t.Fatal(err)
	}
	if job == nil {
		t.Fatal("Submit of a CTAS started no job")
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range col.rows["o"] {
		got = append(got, r.String())
	}
	if want := "+I('a', 1) -U('a', 1) +U('a', 3)"; strings.Join(got, " ") != want {
		t.Fatalf("rows %q, want %q", strings.Join(got, " "), want)
	}
	// The table exists now: CTAS refuses it, OR REPLACE replaces it, and a
	// failed OR REPLACE leaves the old table.
	if _, err := s.Exec(ctx, `CREATE TABLE o WITH ('connector' = 'collect') AS SELECT k FROM t`); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("CTAS over an existing table: err = %v", err)
	}
	show := func() string {
		res, err := s.Exec(ctx, `SHOW CREATE TABLE o`)
		if err != nil {
			t.Fatal(err)
		}
		return res.Text
	}
	before := show()
	if _, _, err := s.Submit(ctx, `CREATE OR REPLACE TABLE o WITH ('connector' = 'collect', 'append-only' = 'true') AS SELECT k, SUM(n) AS s FROM t GROUP BY k`); err == nil {
		t.Fatal("an updating query into an append-only sink was accepted")
	}
	if after := show(); after != before {
		t.Fatalf("a failed CREATE OR REPLACE changed the table:\n%s\nwas:\n%s", after, before)
	}
	if _, err := s.Exec(ctx, `CREATE OR REPLACE TABLE o WITH ('connector' = 'collect') AS SELECT k FROM t`); err != nil {
		t.Fatal(err)
	}
	if got, want := show(), "CREATE TABLE o (k STRING) WITH ('connector' = 'collect')\n"; got != want {
		t.Fatalf("after CREATE OR REPLACE: %q, want %q", got, want)
	}
}

// TestFailedSubmitRestoresSession: a Submit script that fails puts the
// session back as it was before it: the tables of its CTAS, a view over
// one, a plain table, SET options and CREATE FUNCTION names are gone, and
// what it dropped or replaced is back (the reviewer's repro: the view
// over the CTAS table was left dangling).
func TestFailedSubmitRestoresSession(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte("{\"k\": \"a\", \"n\": 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}})
	ctx := context.Background()
	if _, err := s.Exec(ctx, `CREATE TABLE t (k STRING, n BIGINT) WITH ('connector' = 'values');
CREATE VIEW keep AS SELECT k FROM t;
CREATE FUNCTION up1 AS 'UPPER';
SET 'pipeline.name' = 'before';`); err != nil {
		t.Fatal(err)
	}
	state := func() string {
		var b strings.Builder
		for _, q := range []string{"SHOW TABLES", "SHOW VIEWS", "SHOW FUNCTIONS", "SET", "SHOW CREATE TABLE t"} {
			res, err := s.Exec(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(q + ":\n" + res.Text)
		}
		return b.String()
	}
	before := state()
	for _, script := range []string{
		// The reviewer's repro.
		`CREATE TABLE o WITH ('connector'='collect') AS SELECT k, n FROM t;
CREATE VIEW v AS SELECT * FROM o;
CREATE TABLE plain (k STRING) WITH ('connector'='collect');
INSERT INTO nosuch SELECT k FROM t;`,
		// Drops, replacements, SET/RESET and functions, then a failure.
		`DROP VIEW keep;
DROP FUNCTION up1;
CREATE FUNCTION up1 AS 'LOWER';
CREATE FUNCTION up2 AS 'UPPER';
DROP TABLE t;
CREATE TABLE t (other INT) WITH ('connector'='collect');
SET 'pipeline.name' = 'after';
SET 'x' = 'y';
CREATE TABLE o2 (k STRING) WITH ('connector'='collect');
INSERT INTO o2 SELECT nosuch FROM t;`,
		`RESET;
SELECT 1;`,
	} {
		if _, _, err := s.Submit(ctx, script); err == nil {
			t.Fatalf("script did not fail:\n%s", script)
		}
		if after := state(); after != before {
			t.Fatalf("after the failed script\n%s\nthe session is\n%s\nwas\n%s", script, after, before)
		}
	}
	// The names are usable as before: up1 is still UPPER, keep reads t.
	res, err := s.Exec(ctx, `CREATE TABLE o3 (k STRING) WITH ('connector'='collect');
INSERT INTO o3 SELECT up1(k) FROM keep;`)
	if err != nil {
		t.Fatal(err, res.Text)
	}
	if got := col.rows["o3"]; len(got) != 1 || got[0].String() != "+I('A')" {
		t.Fatalf("o3 = %v, want +I('A')", got)
	}
}
