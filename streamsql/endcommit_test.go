package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/datagen"
	fileconn "github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
)

// treeFiles maps every file under dir (its relative path) to its bytes.
func treeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fileNames(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// warnings collects a session's warnings.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) warnf(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, strings.TrimSpace(fmt.Sprintf(format, args...)))
}

func (w *warnings) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.msgs, "\n")
}

const endCommitScript = `CREATE TABLE gen (id BIGINT, v INT, s STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '2000', 'seed' = '7',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '2000', 'fields.s.length' = '6');
CREATE TABLE f (id BIGINT, v INT, s STRING) WITH ('connector' = 'file', 'path' = '%s', 'format' = 'csv');
INSERT INTO f SELECT id, v, s FROM gen;`

// TestSQLFileSinkBoundedWithoutCheckpoints: a bounded INSERT into the
// file sink without checkpoints makes its output visible at the end of
// the input (it stayed in hidden .inprogress files before), the same
// files, byte for byte, as the run with checkpoints; and no warning.
func TestSQLFileSinkBoundedWithoutCheckpoints(t *testing.T) {
	run := func(out string, ck *stream.CheckpointOptions, w *warnings) {
		s := streamsql.NewSession(streamsql.Options{Checkpoints: ck, Warnf: w.warnf,
			Factories: []connector.TableFactory{datagen.TableFactory(), fileconn.TableFactory()}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := s.Exec(ctx, fmt.Sprintf(endCommitScript, out)); err != nil {
			t.Fatal(err)
		}
	}
	plain, withCk := filepath.Join(t.TempDir(), "f"), filepath.Join(t.TempDir(), "f")
	var w warnings
	run(plain, nil, &w)
	run(withCk, &stream.CheckpointOptions{Dir: t.TempDir(), Interval: time.Hour}, &w)
	if w.all() != "" {
		t.Errorf("warnings for a bounded job: %s", w.all())
	}
	got, want := treeFiles(t, plain), treeFiles(t, withCk)
	for name := range got {
		if strings.HasPrefix(filepath.Base(name), ".") {
			t.Errorf("without checkpoints %s stays (files %v)", name, fileNames(got))
		}
	}
	if strings.Join(fileNames(got), " ") != strings.Join(fileNames(want), " ") {
		t.Fatalf("files without checkpoints %v, with %v", fileNames(got), fileNames(want))
	}
	for name, b := range want {
		if got[name] != b {
			t.Errorf("%s differs without checkpoints", name)
		}
	}
	lines := 0
	for _, b := range got {
		lines += strings.Count(b, "\n")
	}
	if lines != 2000 {
		t.Errorf("%d lines, want 2000", lines)
	}
}

// TestSQLFileSinkCanceledWithoutCheckpoints: a job canceled before its
// input ended exposes none of its output.
func TestSQLFileSinkCanceledWithoutCheckpoints(t *testing.T) {
	out := filepath.Join(t.TempDir(), "f")
	var w warnings
	s := streamsql.NewSession(streamsql.Options{Warnf: w.warnf,
		Factories: []connector.TableFactory{datagen.TableFactory(), fileconn.TableFactory()}})
	job, _, err := s.Submit(context.Background(), `CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '100000');
CREATE TABLE f (id BIGINT) WITH ('connector' = 'file', 'path' = '`+out+`', 'format' = 'csv');
INSERT INTO f SELECT id FROM gen;`)
	if err != nil {
		t.Fatal(err)
	}
	for sinkIn(job) < 1000 {
		time.Sleep(time.Millisecond)
	}
	job.Cancel()
	_ = job.Wait()
	for name := range treeFiles(t, out) {
		if !strings.HasPrefix(filepath.Base(name), ".") {
			t.Errorf("a canceled job made %s visible", name)
		}
	}
	// The input is unbounded: the warning says the output stays invisible
	// and how to take checkpoints.
	msg := w.all()
	for _, want := range []string{"`f`", "without checkpoints", "--checkpoint-dir", "'execution.checkpointing.interval'", "'state.checkpoints.dir'"} {
		if !strings.Contains(msg, want) {
			t.Errorf("warning %q lacks %q", msg, want)
		}
	}
}

func sinkIn(job *streamsql.Job) int64 {
	var n int64
	for _, v := range job.View() {
		last := v.Operators[len(v.Operators)-1]
		if !strings.Contains(last.Name, "f") || !strings.HasPrefix(last.Name, "sink") {
			continue
		}
		for _, st := range last.Subtasks {
			n += st.RecordsIn
		}
	}
	return n
}

// TestSQLCheckpointSettings: Flink's checkpoint keys take effect when the
// session has no checkpoint options, are overridden with a warning when it
// has, and are refused when they would have no effect or are invalid.
func TestSQLCheckpointSettings(t *testing.T) {
	factories := []connector.TableFactory{datagen.TableFactory(), fileconn.TableFactory()}
	ckDir := t.TempDir()
	var used *stream.CheckpointOptions
	s := streamsql.NewSession(streamsql.Options{Factories: factories, Execute: func(ctx context.Context, env *stream.Environment) error {
		used = env.CheckpointOptions()
		return env.Execute(ctx)
	}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "f")
	_, err := s.Exec(ctx, `SET 'execution.checkpointing.interval' = '10s';
SET 'state.checkpoints.dir' = '`+ckDir+`';
SET 'execution.checkpointing.timeout' = '1 min';
SET 'execution.checkpointing.min-pause' = '500 ms';
SET 'execution.checkpointing.max-concurrent-checkpoints' = '2';
SET 'state.checkpoints.num-retained' = '3';
SET 'execution.checkpointing.mode' = 'EXACTLY_ONCE';
`+fmt.Sprintf(endCommitScript, out))
	if err != nil {
		t.Fatal(err)
	}
	if used == nil {
		t.Fatal("the SET checkpoint keys were ignored: the job ran without checkpoints")
	}
	if used.Dir != ckDir || used.Interval != 10*time.Second || used.Timeout != time.Minute || used.MinPause != 500*time.Millisecond ||
		used.MaxConcurrent != 2 || used.Retained != 3 {
		t.Errorf("checkpoint options %+v", *used)
	}
	if ents, _ := os.ReadDir(ckDir); len(ents) == 0 {
		t.Error("the checkpoint directory is empty")
	}

	// The command line's options win, with a warning.
	var w warnings
	flags := &stream.CheckpointOptions{Dir: t.TempDir(), Interval: time.Hour}
	s = streamsql.NewSession(streamsql.Options{Factories: factories, Checkpoints: flags, Warnf: w.warnf, Execute: func(ctx context.Context, env *stream.Environment) error {
		used = env.CheckpointOptions()
		return env.Execute(ctx)
	}})
	if _, err := s.Exec(ctx, `SET 'execution.checkpointing.interval' = '10s'; SET 'state.checkpoints.dir' = '`+ckDir+`';
`+fmt.Sprintf(endCommitScript, filepath.Join(t.TempDir(), "f"))); err != nil {
		t.Fatal(err)
	}
	if used != flags {
		t.Errorf("the job ran with %+v, not the command line's options", used)
	}
	if msg := w.all(); !strings.Contains(msg, "take precedence") || !strings.Contains(msg, "'execution.checkpointing.interval'") {
		t.Errorf("warning %q", msg)
	}

	// Refused: invalid values at SET, keys without effect at the INSERT.
	for _, tc := range []struct{ script, want string }{
		{`SET 'execution.checkpointing.mode' = 'AT_LEAST_ONCE';`, "only 'EXACTLY_ONCE'"},
		{`SET 'execution.checkpointing.interval' = 'soon';`, "'execution.checkpointing.interval'"},
		{`SET 'state.checkpoints.num-retained' = '0';`, "from 1 to 1000"},
		{`SET 'execution.checkpointing.interval' = '10 s';` + fmt.Sprintf(endCommitScript, filepath.Join(t.TempDir(), "f")), "need a directory"},
		{`SET 'state.checkpoints.dir' = '` + ckDir + `';` + fmt.Sprintf(endCommitScript, filepath.Join(t.TempDir(), "f")), "has no effect without 'execution.checkpointing.interval'"},
		{`SET 'execution.checkpointing.timeout' = '1 min';` + fmt.Sprintf(endCommitScript, filepath.Join(t.TempDir(), "f")), "has no effect without"},
	} {
		s := streamsql.NewSession(streamsql.Options{Factories: factories})
		_, err := s.Exec(ctx, tc.script)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.script, err, tc.want)
		}
	}

	// A session whose jobs run without checkpoints (the shell) refuses
	// the keys.
	s = streamsql.NewSession(streamsql.Options{Factories: factories, NoCheckpoints: "the shell runs jobs without checkpoints"})
	if _, err := s.Exec(ctx, `SET 'state.checkpoints.dir' = '/tmp/x';`); err == nil || !strings.Contains(err.Error(), "the shell runs jobs without checkpoints") {
		t.Errorf("got %v", err)
	}
	// Other keys are stored as before.
	if _, err := s.Exec(ctx, `SET 'some.unknown.key' = 'x';`); err != nil {
		t.Errorf("unknown key: %v", err)
	}
}

// TestSQLFileSinkRunTwiceWithoutCheckpoints: a bounded INSERT run again
// into the same directory without checkpoints would commit the same part
// file names: the second run fails saying what to do (never overwrites),
// and with a new 'sink.part-prefix' it commits next to the first.
func TestSQLFileSinkRunTwiceWithoutCheckpoints(t *testing.T) {
	out := filepath.Join(t.TempDir(), "f")
	exec := func(script string) error {
		s := streamsql.NewSession(streamsql.Options{Factories: []connector.TableFactory{datagen.TableFactory(), fileconn.TableFactory()}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := s.Exec(ctx, script)
		return err
	}
	script := fmt.Sprintf(endCommitScript, out)
	if err := exec(script); err != nil {
		t.Fatal(err)
	}
	first := treeFiles(t, out)
	if err := exec(script); err == nil || !strings.Contains(err.Error(), "'sink.part-prefix'") {
		t.Fatalf("second run: %v", err)
	}
	for name, b := range first {
		if treeFiles(t, out)[name] != b {
			t.Fatalf("%s changed by the second run", name)
		}
	}
	if err := exec(strings.Replace(script, "'format' = 'csv'", "'format' = 'csv', 'sink.part-prefix' = 'run2'", 1)); err != nil {
		t.Fatal(err)
	}
	if n := len(visibleOf(treeFiles(t, out))); n != 2 {
		t.Fatalf("%d visible files after the run with a new prefix: %v", n, fileNames(treeFiles(t, out)))
	}
}

func visibleOf(m map[string]string) []string {
	var out []string
	for k := range m {
		if !strings.HasPrefix(filepath.Base(k), ".") {
			out = append(out, k)
		}
	}
	return out
}
