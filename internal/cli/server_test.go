package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func pollFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
}

// strom server, then strom job submit/list/show/savepoint/cancel against
// it through --data-dir; Ctrl-C (the context) stops the server cleanly.
func TestServerAndJobCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sout, serr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"server", "--data-dir", dir, "--addr", "127.0.0.1:0", "--checkpoint-interval", "50ms"}, &sout, &serr)
	}()
	pollFor(t, "server.json", func() bool {
		_, err := os.Stat(filepath.Join(dir, "server.json"))
		return err == nil
	})
	if !strings.Contains(sout.String(), "/?token=") {
		t.Fatalf("no dashboard URL: %q", sout.String())
	}
	jobCmd := func(args ...string) (string, string, int) {
		var o, e bytes.Buffer
		code := run(context.Background(), append([]string{"job"}, append(args, "--data-dir", dir)...), &o, &e)
		return o.String(), e.String(), code
	}
	sql := filepath.Join(t.TempDir(), "bids.sql")
	script := `CREATE TABLE nx (event_type INT, bid ROW<auction BIGINT, price BIGINT>) WITH (
  'connector' = 'nexmark', 'first-event.rate' = '1000', 'rate.limited' = 'true');
CREATE TABLE out (auction BIGINT, price BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT bid.auction, bid.price FROM nx WHERE event_type = 2;`
	if err := os.WriteFile(sql, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := jobCmd("submit", sql)
	if code != 0 || !strings.Contains(out, "submitted job j-") {
		t.Fatalf("submit: %d %q %q", code, out, errs)
	}
	id := strings.Fields(strings.TrimPrefix(out, "submitted job "))[0]
	out, errs, code = jobCmd("list")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "bids") || !strings.HasPrefix(out, "ID") {
		t.Fatalf("list: %d %q %q", code, out, errs)
	}
	pollFor(t, "a checkpoint", func() bool {
		out, _, _ := jobCmd("show", id)
		return strings.Contains(out, "running") && !strings.Contains(out, "checkpoints: 0 completed")
	})
	out, errs, code = jobCmd("savepoint", id, "--name", "sp1", "--stop")
	if code != 0 || !strings.Contains(out, "savepoint sp1") {
		t.Fatalf("savepoint: %d %q %q", code, out, errs)
	}
	_, errs, code = jobCmd("cancel", "j-nope")
	if code != 1 || !strings.Contains(errs, "404") || !strings.Contains(errs, "no job") {
		t.Fatalf("cancel of an unknown job: %d %q", code, errs)
	}
	// A wrong token is refused with a clear message.
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"job", "list", "--data-dir", dir, "--token", "wrong"}, &o, &e); code != 1 || !strings.Contains(e.String(), "401") {
		t.Fatalf("wrong token: %d %q", code, e.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("server exit %d: %s", code, serr.String())
	}
	_, errs, code = jobCmd("list")
	if code != 1 || !strings.Contains(errs, "no strom server is running") {
		t.Fatalf("list without a server: %d %q", code, errs)
	}
	// A non-loopback address without TLS is refused before anything starts.
	var o2, e2 bytes.Buffer
	if code := run(context.Background(), []string{"server", "--data-dir", dir, "--addr", "0.0.0.0:0"}, &o2, &e2); code != 2 || !strings.Contains(e2.String(), "--insecure-bind") {
		t.Fatalf("non-loopback: %d %q", code, e2.String())
	}
}
