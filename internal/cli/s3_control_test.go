package cli

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestSavepointOfS3Job: a job checkpointing into s3:// (an in-process fake
// S3) has no local directory for its control socket: it listens on one in
// the temporary directory named after the location and prints it at start,
// and 'strom savepoint --checkpoint-dir s3://...' finds it there (it used to
// fail: "not local: give the job's --control-socket") and stops the job.
func TestSavepointOfS3Job(t *testing.T) {
	const bucket = "strom-cli"
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	t.Setenv("STROM_S3_ENDPOINT", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_SESSION_TOKEN", "")

	dir := t.TempDir()
	// A location of this run alone: the socket's name derives from it.
	loc := fmt.Sprintf("s3://%s/jobs/%d-%d/", bucket, os.Getpid(), time.Now().UnixNano())
	sock := remoteControlPath(loc)
	if !strings.HasPrefix(sock, os.TempDir()) || remoteControlPath(strings.TrimSuffix(loc, "/")) != sock {
		t.Fatalf("control socket %s: not in %s, or not the same without the trailing slash", sock, os.TempDir())
	}
	job := []string{"nexmark", "run", "--query", "q5", "--events", "4000000", "--rate", "100000", "--rate-limited",
		"--checkpoint-dir", loc, "--checkpoint-interval", "100ms", "--out", filepath.Join(dir, "out.jsonl")}
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { done <- run(ctx, job, &syncBuffer{}, stderr) }()
	for !strings.Contains(stderr.String(), "control socket "+sock) {
		select {
		case code := <-done:
			t.Fatalf("the job ended (exit %d) without printing its control socket %s:\n%s", code, sock, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !strings.Contains(stderr.String(), "strom savepoint --checkpoint-dir "+loc) {
		t.Fatalf("the job does not say how to take a savepoint:\n%s", stderr.String())
	}
	sp := filepath.Join(dir, "sp")
	code, out, errOut := nxRun(t, "savepoint", "--checkpoint-dir", loc, "--stop", sp)
	if code != 0 || !strings.Contains(out, "written to "+sp) {
		t.Fatalf("strom savepoint --checkpoint-dir %s: exit %d: %s%s", loc, code, out, errOut)
	}
	if code := <-done; code != 0 || !strings.Contains(stderr.String(), "stopped with a savepoint") {
		t.Fatalf("the stopped job: exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatalf("control socket left behind: %v", err)
	}
}
