package server

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/internal/web"
)

// A Submit that loses the race with Close answers 503 and leaves nothing
// behind (the next start must not resume a job the client was told
// failed), and Close waits for the attempt it started before closing the
// journal.
func TestSubmitRacingShutdown(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Version: "test", Logger: quiet(), Out: io.Discard, CheckpointInterval: 50 * time.Millisecond}
	srv, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var closeReturned atomic.Bool
	closeDone := make(chan error, 1)
	srv.beforeCommit = func() {
		go func() {
			err := srv.Close()
			closeReturned.Store(true)
			closeDone <- err
		}()
		for {
			srv.mu.Lock()
			c := srv.closed
			srv.mu.Unlock()
			if c {
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // room for a Close that does not wait
		if closeReturned.Load() {
			t.Error("Close returned (and closed the journal) while a submitted job was starting")
		}
	}
	_, err = srv.Submit(context.Background(), web.SubmitRequest{SQL: insertSQL})
	var we *web.Error
	if !errors.As(err, &we) || we.Status != 503 {
		t.Fatalf("submit during shutdown: %v", err)
	}
	if err := <-closeDone; err != nil {
		t.Fatalf("close: %v", err)
	}
	ents, err := os.ReadDir(filepath.Join(dir, "jobs"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Fatalf("the refused job left %s/%s behind", filepath.Join(dir, "jobs"), ents[0].Name())
	}
	srv2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	if js := srv2.Jobs(); len(js) != 0 {
		t.Fatalf("the next start resumed %v", js)
	}
}
