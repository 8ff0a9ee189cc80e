package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/datagen"
	"github.com/stromio/strom/connector/file"
)

// visibleFiles lists the files under dir whose names do not start with '.'.
func visibleFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// TestRunFileSinkWithoutCheckpoints: `strom run` of a bounded INSERT into
// a 'file' table without checkpoint flags leaves the output visible (it
// stayed in .inprogress files), as the run with --checkpoint-dir does.
func TestRunFileSinkWithoutCheckpoints(t *testing.T) {
	dir := t.TempDir()
	read := func(out string) string {
		var b strings.Builder
		for _, f := range visibleFiles(t, out) {
			data, err := os.ReadFile(filepath.Join(out, f))
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(f + ":\n" + string(data))
		}
		return b.String()
	}
	job := func(out string) string {
		f := filepath.Join(dir, filepath.Base(out)+".sql")
		script := `CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '100',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100');
CREATE TABLE f (id BIGINT) WITH ('connector' = 'file', 'path' = '` + out + `', 'format' = 'csv');
INSERT INTO f SELECT id FROM gen;`
		if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	plain, withCk := filepath.Join(dir, "plain"), filepath.Join(dir, "ck")
	var stdout, stderr syncBuffer
	if code := run(context.Background(), []string{"run", job(plain)}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if code := run(context.Background(), []string{"run", job(withCk), "--checkpoint-dir", filepath.Join(dir, "chk"), "--checkpoint-interval", "1h", "--checkpoint-timeout", "2h"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got, want := read(plain), read(withCk)
	if got == "" || got != want {
		t.Fatalf("without checkpoints:\n%s\nwith:\n%s", got, want)
	}
	if strings.Count(got, "\n") != 101 {
		t.Fatalf("output:\n%s", got)
	}
}

// TestShellFileSinkAndCheckpointKeys: in the shell a bounded INSERT into
// a 'file' table makes its output visible when it finishes, and SET of a
// checkpoint key is refused (its jobs run without checkpoints).
func TestShellFileSinkAndCheckpointKeys(t *testing.T) {
	t.Setenv("STROM_SQL_HISTORY", filepath.Join(t.TempDir(), "hist"))
	c := &sqlConfig{Parallelism: 1, factories: func() []connector.TableFactory {
		return []connector.TableFactory{datagen.TableFactory(), file.TableFactory()}
	}}
	outDir := filepath.Join(t.TempDir(), "f")
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
	send("SET 'execution.checkpointing.interval' = '10s';\r")
	waitFor("runs its jobs without checkpoints", 1)
	send("CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '50');\r")
	waitFor("OK", 1)
	send("CREATE TABLE f (id BIGINT) WITH ('connector' = 'file', 'path' = '" + outDir + "', 'format' = 'csv');\r")
	waitFor("OK", 2)
	send("INSERT INTO f SELECT id FROM gen;\r")
	waitFor("Submitted job 1", 1)
	for i := 0; ; i++ {
		send("SHOW JOBS;\r")
		if strings.Contains(out.String(), "| 1   | finished |") {
			break
		}
		if i > 3000 {
			t.Fatalf("job 1 did not finish:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if files := visibleFiles(t, outDir); len(files) == 0 {
		t.Errorf("the finished INSERT left no visible file in %s", outDir)
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
