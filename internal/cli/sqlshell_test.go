package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

func TestStatementEnd(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"SELECT 1;", true},
		{"SELECT 1;  \n", true},
		{"SELECT 1", false},
		{"SELECT ';'", false},
		{"SELECT ';';", true},
		{"SELECT 'it''s;'", false},
		{"SELECT 'it''s';", true},
		{"SELECT 1; -- done", true},
		{"SELECT 1 -- not done;", false},
		{"SELECT 1 /* ; */", false},
		{"SELECT 1 /* open ;", false},
		{"SELECT \"a;b\" FROM t;", true},
		{"SELECT 1; SELECT", false},
		{"SELECT `x;`;", true},
	} {
		if got := statementEnd(c.in); got != c.want {
			t.Errorf("statementEnd(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	got := splitStatements("CREATE TABLE t (a INT) WITH ('x' = 'a;b'); -- c;\nSELECT 1;; SELECT 2")
	want := []string{"CREATE TABLE t (a INT) WITH ('x' = 'a;b')", "-- c;\nSELECT 1", "SELECT 2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitStatements = %q, want %q", got, want)
	}
	for in, want := range map[string]string{
		"  select 1":                "SELECT 1",
		"-- c\n/* d */ INSERT INTO": "INSERT INTO",
		"(SELECT 1) UNION ALL":      "SELECT 1)",
		"show jobs;":                "SHOW JOBS",
	} {
		a, b := firstWords(in)
		if a+" "+b != want {
			t.Errorf("firstWords(%q) = %q %q, want %q", in, a, b, want)
		}
	}
}

func TestResultTableAppliesChangelog(t *testing.T) {
	rt := newResultTable([]string{"k", "total"})
	rt.apply(table.Insert, []string{"a", "1"})
	rt.apply(table.Insert, []string{"b", "2"})
	rt.apply(table.UpdateBefore, []string{"a", "1"})
	rt.apply(table.UpdateAfter, []string{"a", "4"})
	rt.apply(table.Insert, []string{"c", "a much longer value than the column name"})
	rt.apply(table.Delete, []string{"c", "a much longer value than the column name"})
	rt.apply(table.Delete, []string{"zz", "9"}) // not held
	var b bytes.Buffer
	rt.render(&b, 10, 0, "\n")
	want := `+---+-------+
| k | total |
+---+-------+
| a | 4     |
| b | 2     |
+---+-------+
warning: 1 retractions of rows the result did not hold
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if rows, changes := rt.counts(); rows != 2 || changes != 7 {
		t.Errorf("counts = %d, %d", rows, changes)
	}
	b.Reset()
	rt.render(&b, 1, 9, "\n")
	if !strings.Contains(b.String(), "| a | 4 …\n") || !strings.Contains(b.String(), "(1 more rows)") {
		t.Errorf("cut render:\n%s", b.String())
	}
	for i := range 200 { // holes are compacted away, positions stay right
		rt.apply(table.Insert, []string{"n", fmt.Sprint(i)})
	}
	for i := range 199 {
		rt.apply(table.Delete, []string{"n", fmt.Sprint(i)})
	}
	rt.apply(table.UpdateBefore, []string{"b", "2"})
	rt.apply(table.UpdateAfter, []string{"b", "3"})
	b.Reset()
	rt.render(&b, 10, 0, "\n")
	if !strings.Contains(b.String(), "| a | 4     |\n| b | 3     |\n| n | 199   |\n+") {
		t.Errorf("after compaction:\n%s", b.String())
	}
	if s := cut("abcdef", 4); s != "abc…" {
		t.Errorf("cut = %q", s)
	}
}

func TestFileHistory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hist")
	h := loadHistory(p)
	h.Add("SELECT 1;")
	h.Add("SELECT 1;") // a repeat is kept once
	h.Add("SELECT 'a\\b\nc';")
	h2 := loadHistory(p)
	if h2.Len() != 2 || h2.At(0) != "SELECT 'a\\b\nc';" || h2.At(1) != "SELECT 1;" {
		t.Fatalf("reloaded history: %q", h2.entries)
	}
}

// foreverFactory is a test connector 'forever': an unbounded table of
// (n, 'x') rows.
type foreverFactory struct{}

func (foreverFactory) Name() string                     { return "forever" }
func (foreverFactory) Options() []connector.TableOption { return nil }
func (foreverFactory) TableSource(context.Context, connector.TableContext) (connector.Source[table.Row], error) {
	return stream.GeneratorSource[table.Row]{Count: -1, Fn: func(_ int, seq int64) table.Row {
		return table.NewRow(table.Int(seq), table.Str("x"))
	}}, nil
}

// TestShellSession drives the interactive shell through its terminal: a
// statement over two lines, the history (arrow up), a query stopped with q,
// a background INSERT job listed and stopped, an error with its position.
func TestShellSession(t *testing.T) {
	t.Setenv("STROM_SQL_HISTORY", filepath.Join(t.TempDir(), "hist"))
	c := &sqlConfig{Parallelism: 1, factories: func() []connector.TableFactory {
		return []connector.TableFactory{rowsFactory{}, foreverFactory{}, builtin.BlackholeFactory()}
	}}
	inR, inW := io.Pipe()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runShell(context.Background(), c, shellIO{in: inR, out: out, refresh: 5 * time.Millisecond,
			size: func() (int, int) { return 100, 30 }})
	}()
	waitFor := func(what string, n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for strings.Count(out.String(), what) < n {
			if time.Now().After(deadline) {
				t.Fatalf("no %d× %q in the output:\n%s", n, what, out.String())
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	send := func(s string) {
		t.Helper()
		if _, err := io.WriteString(inW, s); err != nil {
			t.Fatal(err)
		}
	}
	send("CREATE TABLE t (id BIGINT, k STRING) WITH ('connector' = 'rows');\r")
	waitFor("OK", 1)
	send("SELECT k, SUM(id) AS total\r")
	send("FROM t GROUP BY k;\r")
	waitFor("Query finished: 2 rows (4 changes)", 1)
	send("\x1b[A\r") // the previous statement again, from the history
	waitFor("Query finished: 2 rows (4 changes)", 2)
	if s := out.String(); !strings.Contains(s, "| a | 4     |") || strings.Contains(s, "| a | 1     |\n+") {
		t.Errorf("final table missing or wrong:\n%s", s)
	}
	send("CREATE TABLE f (n BIGINT, s STRING) WITH ('connector' = 'forever');\r")
	waitFor("OK", 2)
	send("SELECT s, COUNT(*) AS c FROM f GROUP BY s;\r")
	waitFor("strom SQL result (table)", 1)
	send("q")
	waitFor("Query stopped: 1 rows", 1)
	send("CREATE TABLE bh (n BIGINT, s STRING) WITH ('connector' = 'blackhole');\r")
	waitFor("OK", 3)
	send("INSERT INTO bh SELECT * FROM f;\r")
	waitFor("Submitted job 1", 1)
	send("SHOW JOBS;\r")
	waitFor("| 1   | running |", 1)
	send("STOP JOB '1';\r")
	waitFor("Job 1 cancelled.", 1)
	send("SELECT nope FROM t;\r")
	waitFor("[ERROR] line 1, column 8", 1)
	send("SET 'sql-client.execution.result-mode' = 'changelog';\r")
	waitFor("result mode: changelog", 1)
	send("SELECT k, SUM(id) AS total FROM t GROUP BY k;\r")
	waitFor("-U | a | 1", 1)
	waitFor("Query finished.", 1)
	send("QUIT;\r")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the shell did not end:\n%s", out.String())
	}
	waitFor("Bye.", 1)
}

// TestShellShowsLTZInSessionZone: the shell's result table and its
// changelog show a TIMESTAMP_LTZ in the session time zone, as `strom sql
// -e` prints it (it showed UTC: the row callback had no column types).
func TestShellShowsLTZInSessionZone(t *testing.T) {
	t.Setenv("STROM_SQL_HISTORY", filepath.Join(t.TempDir(), "hist"))
	c := &sqlConfig{Parallelism: 1, factories: func() []connector.TableFactory { return []connector.TableFactory{rowsFactory{}} }}
	inR, inW := io.Pipe()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runShell(context.Background(), c, shellIO{in: inR, out: out, refresh: 5 * time.Millisecond,
			size: func() (int, int) { return 100, 30 }})
	}()
	waitFor := func(what string, n int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for strings.Count(out.String(), what) < n {
			if time.Now().After(deadline) {
				t.Fatalf("no %d× %q in the output:\n%s", n, what, out.String())
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	send := func(s string) {
		t.Helper()
		if _, err := io.WriteString(inW, s); err != nil {
			t.Fatal(err)
		}
	}
	send("CREATE TABLE t (id BIGINT, k STRING) WITH ('connector' = 'rows');\r")
	waitFor("OK", 1)
	send("SET 'table.local-time-zone' = 'Europe/Berlin';\r")
	waitFor("OK", 2)
	const q = "SELECT id, TO_TIMESTAMP_LTZ(1711841400000 + id, 3) AS ltz FROM t WHERE id = 1;\r"
	send(q)
	waitFor("Query finished: 1 rows", 1)
	if s := out.String(); !strings.Contains(s, "| 1  | 2024-03-31 00:30:00.001 |") {
		t.Errorf("the result table does not show the LTZ in Berlin time:\n%s", s)
	}
	send("SET 'sql-client.execution.result-mode' = 'changelog';\r")
	waitFor("result mode: changelog", 1)
	send(q)
	waitFor("Query finished.", 1)
	if s := out.String(); !strings.Contains(s, "+I | 1 | 2024-03-31 00:30:00.001\n") {
		t.Errorf("the changelog does not show the LTZ in Berlin time:\n%s", s)
	}
	send("QUIT;\r")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the shell did not end:\n%s", out.String())
	}
}
