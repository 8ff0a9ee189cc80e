package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stromio/strom/internal/failpoint"
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

// A savepoint directory without its <name>.json that no savepoint of the
// server is writing (a crash between the savepoint and its metadata, here
// the savepoint-written failpoint in process, or a directory made by hand)
// does not keep its name: a new request with the name removes it and takes
// the savepoint, and a server start removes every such directory (and the
// temporary files of unfinished <name>.json writes), logging each.
func TestIncompleteSavepointFreesItsName(t *testing.T) {
	dir := t.TempDir()
	var logs syncBuf
	ts := startServerWith(t, dir, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	srv := ts.srv
	js, err := srv.Submit(context.Background(), web.SubmitRequest{SQL: insertSQL})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "a checkpoint", func() bool { return ts.checkpoints(t, js.ID).Counts.Completed > 0 })
	sp := filepath.Join(dir, "savepoints")

	// The crash: the savepoint is written, its <name>.json is not.
	restore, err := failpoint.Enable("savepoint-written")
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			var c *failpoint.Crash
			if r := recover(); r == nil || !errors.As(r.(error), &c) {
				t.Fatalf("savepoint: recovered %v, want the failpoint's crash", r)
			}
		}()
		_, _ = srv.Savepoint(context.Background(), js.ID, web.SavepointRequest{Name: "crashed"})
	}()
	restore()
	if ents, err := os.ReadDir(filepath.Join(sp, "crashed")); err != nil || len(ents) == 0 {
		t.Fatalf("the crashed savepoint left no directory with content: %v %v", ents, err)
	}
	if _, err := os.Stat(filepath.Join(sp, "crashed.json")); !os.IsNotExist(err) {
		t.Fatalf("crashed.json: %v", err)
	}
	if sps, _ := srv.Savepoints(); len(sps) != 0 {
		t.Fatalf("an incomplete savepoint is listed: %+v", sps)
	}
	// A new request with the name takes it.
	info, err := srv.Savepoint(context.Background(), js.ID, web.SavepointRequest{Name: "crashed"})
	if err != nil || info.CheckpointID == 0 {
		t.Fatalf("savepoint with the name of an incomplete one: %+v %v", info, err)
	}
	if sps, _ := srv.Savepoints(); len(sps) != 1 || sps[0].Name != "crashed" {
		t.Fatalf("savepoints %+v", sps)
	}
	// A complete savepoint keeps its name.
	_, err = srv.Savepoint(context.Background(), js.ID, web.SavepointRequest{Name: "crashed"})
	var we *web.Error
	if !errors.As(err, &we) || we.Status != 409 {
		t.Fatalf("savepoint over a complete one: %v", err)
	}

	// Leftovers found at the start: an incomplete directory, a temporary
	// file of <name>.json; a complete savepoint and a symlinked name stay.
	ts.stop()
	for _, d := range []string{"half/chk-1", "half2"} {
		if err := os.MkdirAll(filepath.Join(sp, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(sp, ".half.json.tmp123"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(sp, "link")); err != nil {
		t.Fatal(err)
	}
	ts2 := startServer(t, dir)
	ents, err := os.ReadDir(sp)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if strings.Join(left, ",") != "crashed,crashed.json,link" {
		t.Fatalf("savepoints/ after a start holds %v, want crashed, crashed.json and link", left)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Fatalf("the symlink's target: %v", err)
	}
	if !strings.Contains(logs.String(), "savepoint=crashed") || !strings.Contains(logs.String(), "removed an incomplete savepoint") {
		t.Fatalf("the removal at the request was not logged: %s", logs.String())
	}
	if sps, _ := ts2.srv.Savepoints(); len(sps) != 1 || sps[0].Name != "crashed" {
		t.Fatalf("savepoints after the start %+v", sps)
	}
}

// syncBuf is a bytes.Buffer safe for concurrent writes (a logger's).
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
