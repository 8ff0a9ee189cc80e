package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/internal/checkpoint"
)

// State signatures (DESIGN.md §7 "State signatures"): a savepoint restored
// into a changed SQL job whose operator UIDs now name other operators is
// refused, not misread; unchanged state layouts restore.

const sigSource = `CREATE TABLE g (k INT, v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000',
  'fields.k.min' = '1', 'fields.k.max' = '9');
`

// sigQueries: a (the audit's), c (a STATEMENT SET whose first INSERT is new:
// its MAX aggregation gets the UID of a's COUNT), w (a with a WHERE before
// the aggregation: the state layout is a's).
func sigQueries(t *testing.T, dir string) (a, c, w, m string) {
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(sigSource+text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f := `CREATE TABLE f (k INT, c BIGINT) WITH ('connector' = 'filesystem', 'path' = '` + filepath.Join(dir, "outA") + `', 'format' = 'json');
`
	a = write("a.sql", f+`INSERT INTO f SELECT k, COUNT(*) FROM g GROUP BY k;`)
	c = write("c.sql", f+`CREATE TABLE f2 (k INT, m BIGINT) WITH ('connector' = 'filesystem', 'path' = '`+filepath.Join(dir, "outC")+`', 'format' = 'json');
EXECUTE STATEMENT SET BEGIN
INSERT INTO f2 SELECT k, MAX(v) FROM g GROUP BY k;
INSERT INTO f SELECT k, COUNT(*) FROM g GROUP BY k;
END;`)
	w = write("w.sql", f+`INSERT INTO f SELECT k, COUNT(*) FROM g WHERE v <> 0 GROUP BY k;`)
	m = write("m.sql", strings.Replace(f, "outA", "outB", 1)+`INSERT INTO f SELECT k, COUNT(*) FROM g GROUP BY k;`)
	return a, c, w, m
}

// sigSavepoint runs query with checkpoints until two completed, then stops
// it with a savepoint, whose directory it returns.
func sigSavepoint(t *testing.T, dir, query string) string {
	t.Helper()
	ck, err := os.MkdirTemp("", "strom-sig-") // short: the control socket lives there
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(ck) })
	done := make(chan string, 1)
	go func() {
		var o, e bytes.Buffer
		run(context.Background(), []string{"run", query, "--checkpoint-dir", ck, "--checkpoint-interval", "100ms"}, &o, &e)
		done <- e.String()
	}()
	for deadline := time.Now().Add(60 * time.Second); len(checkpointIDs(t, ck)) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no two checkpoints within 60s")
		}
	}
	sp := filepath.Join(dir, "sp")
	var so, se bytes.Buffer
	if c := run(context.Background(), []string{"savepoint", "--checkpoint-dir", ck, "--stop", sp}, &so, &se); c != 0 {
		t.Fatalf("strom savepoint: exit %d: %s", c, se.String())
	}
	if msg := <-done; !strings.Contains(msg, "stopped with a savepoint") {
		t.Fatalf("the stopped job: %s", msg)
	}
	return sp
}

// sigRestore runs query from the savepoint sp into a new checkpoint
// directory until it completes a checkpoint (restored: the run is then
// canceled) or exits (its code, standard output and error).
func sigRestore(t *testing.T, query, sp string, flags ...string) (restored bool, code int, stderr string) {
	t.Helper()
	ck, err := os.MkdirTemp("", "strom-sig-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(ck) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		var o, e bytes.Buffer
		c := run(ctx, append([]string{"run", query, "--from-savepoint", sp, "--checkpoint-dir", ck, "--checkpoint-interval", "100ms"}, flags...), &o, &e)
		done <- result{c, o.String() + e.String()}
	}()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		select {
		case r := <-done:
			return false, r.code, r.stderr
		default:
		}
		if ids := checkpointIDs(t, ck); len(ids) > 0 {
			cancel()
			r := <-done
			return true, r.code, r.stderr
		}
		if time.Now().After(deadline) {
			cancel()
			r := <-done
			t.Fatalf("neither a checkpoint nor an exit within 60s: %s", r.stderr)
		}
	}
}

// savepointMeta reads the metadata of the savepoint sp.
func savepointMeta(t *testing.T, sp string) (string, []byte, *checkpoint.Metadata) {
	t.Helper()
	ms, _ := filepath.Glob(filepath.Join(sp, "chk-*", checkpoint.MetadataFile))
	if len(ms) != 1 {
		t.Fatalf("savepoint %s: metadata files %v", sp, ms)
	}
	data, err := os.ReadFile(ms[0])
	if err != nil {
		t.Fatal(err)
	}
	m, err := checkpoint.DecodeMetadata(data)
	if err != nil {
		t.Fatal(err)
	}
	return ms[0], data, m
}

// TestSavepointIntoChangedStatementSet is the audit's reproduction: a's
// savepoint restored into c, whose new first INSERT's MAX aggregation has
// the UID of a's COUNT, with --allow-non-restored-state. Before state
// signatures the COUNT's state became MAX's (f2's first rows retracted a
// count as a maximum); now the start is refused, naming the operator, both
// signatures and the ways out, and nothing is written.
func TestSavepointIntoChangedStatementSet(t *testing.T) {
	dir := t.TempDir()
	a, c, w, moved := sigQueries(t, dir)
	sp := sigSavepoint(t, dir, a)
	_, data, m := savepointMeta(t, sp)
	if data[9] != 3 {
		t.Fatalf("savepoint of a SQL job: metadata version %d, want 3 (with signatures)", data[9])
	}
	var agg string
	for _, op := range m.Operators {
		if strings.Contains(op.UID, "group-agg") {
			agg = op.UID
			if !strings.Contains(op.Signature, "COUNT(*)") {
				t.Fatalf("signature of %s: %q", op.UID, op.Signature)
			}
		}
	}
	if agg == "" {
		t.Fatalf("no group-agg operator in %+v", m.Operators)
	}

	restored, code, msg := sigRestore(t, c, sp, "--allow-non-restored-state")
	if restored || code != 1 {
		var rows []byte
		parts, _ := filepath.Glob(filepath.Join(dir, "outC", "part-*"))
		for _, p := range parts {
			b, _ := os.ReadFile(p)
			rows = append(rows, b...)
		}
		t.Fatalf("c restored from a's savepoint (exit %d, restored %v), want a refusal: %s\nf2: %s", code, restored, msg, rows)
	}
	for _, want := range []string{"refusing to restore savepoint " + sp, "operator " + agg,
		"group-agg keys=[INT] aggs=[COUNT(*): BIGINT acc=[BIGINT]]", "group-agg keys=[INT] aggs=[MAX(BIGINT): BIGINT acc=[BIGINT]]",
		"the query or program changed, or strom's plan of it", "restore it with the query or program that wrote it", "without --from-savepoint",
		"--allow-non-restored-state does not apply"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, msg)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "outC")); len(ents) > 0 {
		t.Errorf("the refused job wrote %d files into f2", len(ents))
	}

	// The same query restores (its signatures are recorded and equal),
	// and so does one with a WHERE before the aggregation (same layout),
	// and one whose file sink has a new 'path' (the audit's related
	// finding: the savepoint's committables are resolved in the directory
	// they were staged in, where stop-with-savepoint committed them, not
	// reported as data lost in the new one).
	for _, q := range []string{a, w, moved} {
		if restored, code, msg := sigRestore(t, q, sp); !restored || !strings.Contains(msg, "restoring from savepoint") {
			t.Fatalf("%s from a's savepoint: exit %d: %s", filepath.Base(q), code, msg)
		}
	}
}

// TestSavepointWithoutSignatures: a savepoint of a build before state
// signatures (metadata version 1, no signatures) restores as before,
// without a check.
func TestSavepointWithoutSignatures(t *testing.T) {
	dir := t.TempDir()
	a, _, _, _ := sigQueries(t, dir)
	sp := sigSavepoint(t, dir, a)
	path, _, m := savepointMeta(t, sp)
	for i := range m.Operators {
		m.Operators[i].Signature = ""
	}
	data, err := checkpoint.EncodeMetadata(m)
	if err != nil {
		t.Fatal(err)
	}
	if data[9] != 1 {
		t.Fatalf("metadata without signatures: version %d, want 1", data[9])
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if restored, code, msg := sigRestore(t, a, sp); !restored || !strings.Contains(msg, "restoring from savepoint") {
		t.Fatalf("a from its unsigned savepoint: exit %d: %s", code, msg)
	}
}
