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

// TestRestoredStateOfAnotherQuery: a SQL job restarted on a checkpoint
// directory whose state a different query wrote (same operator UID, other
// aggregates) is refused by the state signatures; over checkpoints without
// signatures (of earlier builds) it fails with the decoder's error and
// says why such state does not decode and what to do, instead of only
// "corrupt row encoding".
func TestRestoredStateOfAnotherQuery(t *testing.T) {
	dir := t.TempDir()
	src := `CREATE TABLE bid (auction BIGINT, price BIGINT) WITH ('connector' = 'datagen',
  'rows-per-second' = '2000', 'fields.auction.min' = '1', 'fields.auction.max' = '50');
`
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src+text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.sql", `CREATE TABLE out_a (auction BIGINT, c BIGINT, s BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out_a SELECT auction, COUNT(*), SUM(price) FROM bid GROUP BY auction;`)
	b := write("b.sql", `CREATE TABLE out_a (auction BIGINT, mx BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out_a SELECT auction, MAX(price) FROM bid GROUP BY auction;`)
	ck := filepath.Join(dir, "ck")
	flags := []string{"--checkpoint-dir", ck, "--checkpoint-interval", "100ms", "--control-socket", filepath.Join(t.TempDir(), "c.sock")}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan string, 1)
	go func() {
		var o, e bytes.Buffer
		run(ctx, append([]string{"run", a}, flags...), &o, &e)
		done <- e.String()
	}()
	for deadline := time.Now().Add(30 * time.Second); len(checkpointIDs(t, ck)) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no two checkpoints within 30s: %s", <-done)
		}
	}
	cancel()
	<-done

	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	// The checkpoints record the operators' state signatures: the start is
	// refused before any state is read (signature_test.go).
	var o0, e0 bytes.Buffer
	code := run(ctx2, append([]string{"run", b}, flags...), &o0, &e0)
	msg := e0.String()
	if code != 1 || !strings.Contains(msg, "refusing to restore checkpoint") || !strings.Contains(msg, "operator sql-2-group-agg") {
		t.Fatalf("query b on query a's checkpoints: exit %d, want 1 with the signature refusal: %s", code, msg)
	}
	// Checkpoints without signatures (of the builds before them) are not
	// checked: the decoder's failure says why.
	ms, _ := filepath.Glob(filepath.Join(ck, "chk-*", checkpoint.MetadataFile))
	for _, p := range ms {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := checkpoint.DecodeMetadata(data)
		if err != nil {
			t.Fatal(err)
		}
		for i := range m.Operators {
			m.Operators[i].Signature = ""
		}
		if data, err = checkpoint.EncodeMetadata(m); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var o, e bytes.Buffer
	code = run(ctx2, append([]string{"run", b}, flags...), &o, &e)
	msg = e.String()
	if code != 1 || !strings.Contains(msg, "corrupt row encoding") {
		t.Fatalf("query b on query a's checkpoints: exit %d, want 1 with the decode error: %s", code, msg)
	}
	for _, want := range []string{"restored its state from checkpoint", "written by a different job", "--from-savepoint", "new --checkpoint-dir"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure does not say %q:\n%s", want, msg)
		}
	}
}
