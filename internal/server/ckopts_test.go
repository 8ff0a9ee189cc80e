package server

import (
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/internal/web"
)

// A job's checkpoint min pause and max concurrent checkpoints come from
// its submit request, else from the server's defaults; they are kept in
// the job's record (so a resumed job keeps them) and reach the job's
// checkpoint options. A record written before they existed runs with no
// pause and one checkpoint at a time, as before. Bad values are a 400 that
// names the field.
func TestCheckpointPauseAndConcurrency(t *testing.T) {
	ts := startServerWith(t, t.TempDir(), func(c *Config) {
		c.CheckpointMinPause = 300 * time.Millisecond
		c.CheckpointMaxConcurrent = 3
	})
	sql := `CREATE TABLE nx (event_type INT, bid ROW<auction BIGINT, price BIGINT>) WITH ('connector' = 'nexmark', 'events.num' = '50');
CREATE TABLE out (auction BIGINT, price BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT bid.auction, bid.price FROM nx WHERE event_type = 2;`
	submit := func(req web.SubmitRequest) (struct{ ID, Error string }, int, string) {
		t.Helper()
		req.SQL = sql
		var r struct{ ID, Error string } // a JobSummary's id, or the error of a 400
		c := ts.call(t, "POST", "/api/v1/jobs", req, &r)
		return r, c, r.Error
	}
	opts := func(id string) (time.Duration, int) {
		t.Helper()
		jb, err := ts.srv.job(id)
		if err != nil {
			t.Fatal(err)
		}
		jb.mu.Lock()
		rec := jb.rec
		jb.mu.Unlock()
		co := ts.srv.checkpointOptions(jb, rec)
		return co.MinPause, co.MaxConcurrent
	}
	js, c, msg := submit(web.SubmitRequest{})
	if c != 201 {
		t.Fatalf("submit with the defaults: %d %s", c, msg)
	}
	if p, n := opts(js.ID); p != 300*time.Millisecond || n != 3 {
		t.Fatalf("server defaults: pause %v, concurrent %d; want 300ms, 3", p, n)
	}
	js, c, msg = submit(web.SubmitRequest{CheckpointMinPause: "2s", CheckpointMaxConcurrent: 1})
	if c != 201 {
		t.Fatalf("submit with its own: %d %s", c, msg)
	}
	if p, n := opts(js.ID); p != 2*time.Second || n != 1 {
		t.Fatalf("the job's own: pause %v, concurrent %d; want 2s, 1", p, n)
	}
	// The record on disk keeps them (a resumed job reads it).
	jb, _ := ts.srv.job(js.ID)
	jb.mu.Lock()
	rec := jb.rec
	jb.mu.Unlock()
	if rec.CheckpointMinPause != "2s" || rec.CheckpointMaxConcurrent != 1 {
		t.Fatalf("record: %+v", rec)
	}
	// A record of an earlier build has neither field.
	rec.CheckpointMinPause, rec.CheckpointMaxConcurrent = "", 0
	if co := ts.srv.checkpointOptions(jb, rec); co.MinPause != 0 || co.MaxConcurrent != 0 {
		t.Fatalf("an older record: pause %v, concurrent %d; want 0, 0 (the stream default, 1)", co.MinPause, co.MaxConcurrent)
	}
	// The state files' writes: direct by default, buffered when the
	// server says so (--checkpoint-direct-io=false), for every job.
	if co := ts.srv.checkpointOptions(jb, rec); co.BufferedStateWrites {
		t.Fatal("a job of a default server writes its state files through the page cache")
	}
	if co := (&Server{cfg: Config{BufferedStateWrites: true}}).checkpointOptions(jb, rec); !co.BufferedStateWrites {
		t.Fatal("Config.BufferedStateWrites does not reach the job's checkpoint options")
	}
	for _, bad := range []struct {
		req  web.SubmitRequest
		want string
	}{
		{web.SubmitRequest{CheckpointMinPause: "soon"}, `checkpoint_min_pause "soon"`},
		{web.SubmitRequest{CheckpointMinPause: "-1s"}, `checkpoint_min_pause "-1s"`},
		{web.SubmitRequest{CheckpointMaxConcurrent: -1}, "checkpoint_max_concurrent must be between 1 and 16, got -1"},
		{web.SubmitRequest{CheckpointMaxConcurrent: 17}, "checkpoint_max_concurrent must be between 1 and 16, got 17"},
	} {
		if _, c, msg := submit(bad.req); c != 400 || !strings.Contains(msg, bad.want) {
			t.Errorf("%+v: %d %q, want 400 with %q", bad.req, c, msg, bad.want)
		}
	}
}

// Open refuses server defaults out of range.
func TestCheckpointDefaultsRefused(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.CheckpointMinPause = -time.Second },
		func(c *Config) { c.CheckpointMaxConcurrent = 17 },
		func(c *Config) { c.CheckpointMaxConcurrent = -2 },
	} {
		cfg := Config{DataDir: t.TempDir(), Version: "test", Logger: quiet()}
		mod(&cfg)
		if s, err := Open(cfg); err == nil {
			s.Close()
			t.Errorf("%+v: opened", cfg)
		} else if !strings.Contains(err.Error(), "checkpoint min pause") {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}
