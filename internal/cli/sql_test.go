package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// rowsFactory is a test connector 'rows': every table has the rows
// (1, 'a'), (2, 'b'), (3, 'a') in its first two columns.
type rowsFactory struct{}

func (rowsFactory) Name() string                     { return "rows" }
func (rowsFactory) Options() []connector.TableOption { return nil }
func (rowsFactory) TableSource(context.Context, connector.TableContext) (connector.Source[table.Row], error) {
	return stream.SliceSource[table.Row]{Items: []table.Row{
		table.NewRow(table.Int(1), table.Str("a")),
		table.NewRow(table.Int(2), table.Str("b")),
		table.NewRow(table.Int(3), table.Str("a")),
	}}, nil
}

func TestSQLSelectPrintsChangelog(t *testing.T) {
	c := &sqlConfig{Parallelism: 1, factories: func() []connector.TableFactory { return []connector.TableFactory{rowsFactory{}} }}
	var out bytes.Buffer
	err := runSQL(context.Background(), &out, c, `
		CREATE TABLE t (id BIGINT, k STRING) WITH ('connector' = 'rows');
		SELECT k, SUM(id) AS total FROM t GROUP BY k;`)
	if err != nil {
		t.Fatal(err)
	}
	want := "OK\nop | k | total\n+I | a | 1\n+I | b | 2\n-U | a | 1\n+U | a | 4\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestRunCommandErrors(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "job.sql")
	if err := os.WriteFile(f, []byte("CREATE TABLE t (a INT) WITH ('connector' = 'nope');"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := newRunCmd()
	cmd.SetArgs([]string{f})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), "line 1, column 1: unknown connector 'nope'") ||
		!strings.Contains(err.Error(), "\n  CREATE TABLE t (a INT)") || !strings.HasSuffix(err.Error(), "\n  ^") {
		t.Fatalf("got %v", err)
	}
	cmd = newSQLCmd()
	cmd.SetArgs([]string{"--parallelism", "0", "-e", "SHOW TABLES"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--parallelism") {
		t.Fatalf("got %v", err)
	}
}

// TestInterruptedJobExitCode: a job stopped by Ctrl-C (the command's context
// canceled) ends with exit code 130 and one line, not an error chain.
func TestInterruptedJobExitCode(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	stdoutS := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sql", "-e", `CREATE TABLE n (event_type INT) WITH ('connector' = 'nexmark');
			SELECT event_type, COUNT(*) FROM n GROUP BY event_type`}, stdoutS, &stderr)
	}()
	for !strings.Contains(stdoutS.String(), "+I") {
		select {
		case code := <-done:
			t.Fatalf("ended early with %d: %s", code, stderr.String())
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	if code := <-done; code != 130 {
		t.Fatalf("exit code %d, want 130; stderr %q", code, stderr.String())
	}
	if got := stderr.String(); got != "strom: interrupted; the job stopped\n" {
		t.Fatalf("stderr %q", got)
	}
}

// TestSQLDatagen: `strom sql -e` knows the 'datagen' connector (the
// binary registers it), with its per-column options.
func TestSQLDatagen(t *testing.T) {
	cmd := newSQLCmd()
	var out bytes.Buffer
	cmd.SetArgs([]string{"-e", `CREATE TABLE Bid (id BIGINT, price INT) WITH ('connector' = 'datagen',
		'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '3',
		'fields.price.min' = '7', 'fields.price.max' = '7');
		SELECT id, price FROM Bid;`})
	cmd.SetOut(&out)
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if want := "OK\nop | id | price\n+I | 1 | 7\n+I | 2 | 7\n+I | 3 | 7\n"; out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestSQLConnectorErrorPrefixOnce: the brief's case: a file table whose
// path does not exist fails the SELECT with one "strom: " (the connector's
// error is wrapped by the runtime, and the command line prefixes what it
// prints) and says what to do.
func TestSQLConnectorErrorPrefixOnce(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexist", "zz")
	var stdout, stderr bytes.Buffer
	code := runStdin(context.Background(), []string{"sql", "-e",
		"CREATE TABLE bad (x INT) WITH ('connector'='file','path'='" + missing + "','format'='json'); SELECT * FROM bad;"},
		strings.NewReader(""), &stdout, &stderr)
	msg := stderr.String()
	if code != 1 {
		t.Fatalf("exit code %d, want 1; stderr %q", code, msg)
	}
	if n := strings.Count(msg, "strom: "); n != 1 || !strings.HasPrefix(msg, "strom: ") {
		t.Errorf("stderr %q has \"strom: \" %d times, want once at the start", msg, n)
	}
	if !strings.Contains(msg, missing+" does not exist") || !strings.Contains(msg, "'path'") {
		t.Errorf("stderr %q does not say that the path does not exist and what to do", msg)
	}
}
