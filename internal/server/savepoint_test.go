package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stromio/strom/internal/web"
)

// Savepoints: a name is claimed once (two requests with one name never
// write into one directory); the savepoint runs under the server's
// context (a client that goes away does not cancel it); a directory
// without its <name>.json (written last) is neither listed nor accepted.
func TestSavepointNamesAndCompletion(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	srv := ts.srv
	js, err := srv.Submit(context.Background(), web.SubmitRequest{SQL: insertSQL})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "a checkpoint", func() bool { return ts.checkpoints(t, js.ID).Counts.Completed > 0 })

	// A request whose client has gone: the savepoint still completes.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := srv.Savepoint(gone, js.ID, web.SavepointRequest{Name: "gone"}); err != nil {
		t.Fatalf("savepoint of a request whose client left: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "savepoints", "gone.json")); err != nil {
		t.Fatal(err)
	}

	// Two requests with one name: one savepoint, one 409.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = srv.Savepoint(context.Background(), js.ID, web.SavepointRequest{Name: "twice"})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		var we *web.Error
		switch {
		case err == nil:
			ok++
		case errors.As(err, &we) && we.Status == 409:
		default:
			t.Fatalf("savepoint: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d requests with one name wrote a savepoint (%v)", ok, len(errs), errs)
	}

	// A half-written savepoint (no <name>.json) is not listed nor accepted.
	if err := os.MkdirAll(filepath.Join(dir, "savepoints", "half", "chk-1"), 0o700); err != nil {
		t.Fatal(err)
	}
	sps, err := srv.Savepoints()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sp := range sps {
		names = append(names, sp.Name)
	}
	if len(names) != 2 || names[0] != "gone" || names[1] != "twice" {
		t.Fatalf("savepoints %v", names)
	}
	_, err = srv.Submit(context.Background(), web.SubmitRequest{SQL: insertSQL, FromSavepoint: "half"})
	var we *web.Error
	if !errors.As(err, &we) || we.Status != 400 {
		t.Fatalf("from a half-written savepoint: %v", err)
	}
	if _, err := srv.Submit(context.Background(), web.SubmitRequest{SQL: insertSQL, FromSavepoint: "twice"}); err != nil {
		t.Fatalf("from a complete savepoint: %v", err)
	}
}
