package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/stromio/strom/internal/web"
	"github.com/stromio/strom/journal"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// testServer is a Server with its HTTP API on a loopback port.
type testServer struct {
	srv       *Server
	url       string
	token, ro string
	stop      func()
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startServer(t *testing.T, dir string) *testServer {
	return startServerWith(t, dir, nil)
}

func startServerWith(t *testing.T, dir string, mod func(*Config)) *testServer {
	t.Helper()
	cfg := Config{DataDir: dir, Version: "test", Logger: quiet(), Out: io.Discard, CheckpointInterval: 50 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok, ro := srv.Tokens()
	ws, err := web.New(web.Config{Addr: "127.0.0.1:0", Token: tok, ReadOnlyToken: ro, Logger: quiet(), Journal: srv.JournalHandler()}, srv)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := ws.Listen()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.WriteServerInfo(ln.Addr().String(), false); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ws.Serve(ctx, ln) }()
	ts := &testServer{srv: srv, url: "http://" + ln.Addr().String(), token: tok, ro: ro}
	stopped := false
	ts.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) call(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, ts.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+ts.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// poll calls cond until it holds or the deadline passes.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not a wait for an event
	}
}

const nexmarkDDL = `CREATE TABLE nx (event_type INT, bid ROW<auction BIGINT, price BIGINT>) WITH (
  'connector' = 'nexmark', 'first-event.rate' = '2000', 'rate.limited' = 'true');
CREATE TABLE out (auction BIGINT, price BIGINT) WITH ('connector' = 'blackhole');
`

const insertSQL = nexmarkDDL + `INSERT INTO out SELECT bid.auction, bid.price FROM nx WHERE event_type = 2;`

const querySQL = `CREATE TABLE nx (event_type INT) WITH ('connector' = 'nexmark', 'events.num' = '100');
SELECT event_type, COUNT(*) AS n FROM nx GROUP BY event_type`

type jobJSON = web.JobDoc

func (ts *testServer) state(t *testing.T, id string) string {
	var j jobJSON
	if c := ts.call(t, "GET", "/api/v1/jobs/"+id, nil, &j); c != 200 {
		t.Fatalf("get job %s: %d", id, c)
	}
	return j.State
}

func (ts *testServer) checkpoints(t *testing.T, id string) web.CheckpointsDoc {
	var c web.CheckpointsDoc
	if code := ts.call(t, "GET", "/api/v1/jobs/"+id+"/checkpoints", nil, &c); code != 200 {
		t.Fatalf("checkpoints: %d", code)
	}
	return c
}

func TestEndToEndInsertSavepointResume(t *testing.T) {
	ts := startServer(t, t.TempDir())
	var js web.JobSummary
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{Name: "bids", SQL: insertSQL}, &js); c != 201 {
		t.Fatalf("submit: %d %+v", c, js)
	}
	var list struct{ Jobs []web.JobSummary }
	ts.call(t, "GET", "/api/v1/jobs", nil, &list)
	if len(list.Jobs) != 1 || list.Jobs[0].ID != js.ID || list.Jobs[0].Name != "bids" {
		t.Fatalf("list %+v", list)
	}
	poll(t, "running", func() bool { return ts.state(t, js.ID) == web.StateRunning })
	var j jobJSON
	ts.call(t, "GET", "/api/v1/jobs/"+js.ID, nil, &j)
	if len(j.Graph.Vertices) == 0 || len(j.Graph.Vertices[0].Operators) == 0 || j.SQL != insertSQL || j.Parallelism != 1 {
		t.Fatalf("job %+v", j)
	}
	poll(t, "records through the job", func() bool {
		var m web.MetricsDoc
		ts.call(t, "GET", "/api/v1/jobs/"+js.ID+"/metrics", nil, &m)
		for _, v := range m.Vertices {
			for _, o := range v.Operators {
				if o.RecordsOut > 0 {
					return m.JobID == js.ID
				}
			}
		}
		return false
	})
	poll(t, "a checkpoint", func() bool { return ts.checkpoints(t, js.ID).Counts.Completed > 0 })
	if h := ts.checkpoints(t, js.ID).History; len(h) == 0 || h[0].TriggerTime.IsZero() {
		t.Fatalf("checkpoint history %+v", h)
	}
	var ex struct{ Exceptions []web.Exception }
	if c := ts.call(t, "GET", "/api/v1/jobs/"+js.ID+"/exceptions", nil, &ex); c != 200 || ex.Exceptions == nil {
		t.Fatalf("exceptions: %d %+v", c, ex)
	}

	var sp web.SavepointInfo
	if c := ts.call(t, "POST", "/api/v1/jobs/"+js.ID+"/savepoint", web.SavepointRequest{Name: "sp1", Stop: true}, &sp); c != 200 || sp.CheckpointID == 0 {
		t.Fatalf("savepoint: %d %+v", c, sp)
	}
	poll(t, "stopped", func() bool { return ts.state(t, js.ID) == web.StateStopped })
	if c := ts.call(t, "POST", "/api/v1/jobs/"+js.ID+"/savepoint", web.SavepointRequest{Name: "sp2"}, nil); c != 409 {
		t.Fatalf("savepoint of a stopped job: %d", c)
	}
	var sps struct{ Savepoints []web.SavepointInfo }
	ts.call(t, "GET", "/api/v1/savepoints", nil, &sps)
	if len(sps.Savepoints) != 1 || sps.Savepoints[0].Name != "sp1" || sps.Savepoints[0].Job != js.ID {
		t.Fatalf("savepoints %+v", sps)
	}

	var js2 web.JobSummary
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{Name: "bids2", SQL: insertSQL, FromSavepoint: "sp1"}, &js2); c != 201 {
		t.Fatalf("submit from savepoint: %d", c)
	}
	poll(t, "restored from the savepoint", func() bool { return ts.checkpoints(t, js2.ID).Restored == sp.CheckpointID })
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: insertSQL, FromSavepoint: "nope"}, nil); c != 400 {
		t.Fatalf("unknown savepoint: %d", c)
	}
	if c := ts.call(t, "POST", "/api/v1/jobs/"+js2.ID+"/cancel", nil, &js2); c != 200 {
		t.Fatalf("cancel: %d", c)
	}
	poll(t, "cancelled", func() bool {
		var j jobJSON
		ts.call(t, "GET", "/api/v1/jobs/"+js2.ID, nil, &j)
		if j.State == web.StateFailed {
			t.Fatalf("failed: %s", j.Error)
		}
		return j.State == web.StateCancelled
	})
	if c := ts.call(t, "POST", "/api/v1/jobs/"+js2.ID+"/cancel", nil, nil); c != 409 {
		t.Fatalf("second cancel: %d", c)
	}
	// A planning error is a 400 with its position.
	var e struct {
		Error, Code  string
		Line, Column int
	}
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: "SELEC 1"}, &e); c != 400 || !strings.Contains(e.Error, "line 1") || e.Line != 1 || e.Column != 1 {
		t.Fatalf("bad SQL: %d %+v", c, e)
	}
}

func TestQueryResultsSSEAndWebSocket(t *testing.T) {
	ts := startServer(t, t.TempDir())
	var js web.JobSummary
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: querySQL}, &js); c != 201 || !js.Query {
		t.Fatalf("submit: %d %+v", c, js)
	}
	poll(t, "finished", func() bool { return ts.state(t, js.ID) == web.StateFinished })
	var j jobJSON
	ts.call(t, "GET", "/api/v1/jobs/"+js.ID, nil, &j)
	if len(j.Columns) != 2 || j.Columns[0].Name != "event_type" || j.Columns[1].Name != "n" {
		t.Fatalf("columns %+v", j.Columns)
	}

	// SSE: every message in order, then the end.
	req, _ := http.NewRequest("GET", ts.url+"/api/v1/jobs/"+js.ID+"/results?after=0", nil)
	req.Header.Set("Authorization", "Bearer "+ts.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	total := map[float64]float64{} // event_type -> latest count
	seq := 0
	ended := false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && !ended {
		line := sc.Text()
		switch {
		case line == "event: end":
			ended = true
		case strings.HasPrefix(line, "id: "):
			seq++
			if line != fmt.Sprintf("id: %d", seq) {
				t.Fatalf("line %q, want id %d", line, seq)
			}
		case strings.HasPrefix(line, "data: {\"seq\""):
			var m struct {
				Seq int
				Op  string
				Row map[string]float64
			}
			if err := json.Unmarshal([]byte(line[6:]), &m); err != nil {
				t.Fatal(err)
			}
			if m.Op == "+I" || m.Op == "+U" {
				total[m.Row["event_type"]] = m.Row["n"]
			}
		}
	}
	if !ended {
		t.Fatal("no end event")
	}
	sum := 0.0
	for _, n := range total {
		sum += n
	}
	if sum != 100 {
		t.Fatalf("counts %v sum to %v, want 100", total, sum)
	}

	// WebSocket: the same messages.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(ts.url, "http") + "/api/v1/jobs/" + js.ID + "/results/ws"
	c, _, err := websocket.Dial(ctx, wsURL+"?after=0", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + ts.ro}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	n := 0
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("after %d messages: %v", n, err)
		}
		if bytes.HasPrefix(b, []byte(`{"end"`)) {
			break
		}
		n++
		if !bytes.HasPrefix(b, []byte(fmt.Sprintf(`{"seq":%d,`, n))) {
			t.Fatalf("message %d: %s", n, b)
		}
	}
	if n != seq {
		t.Fatalf("websocket got %d messages, SSE %d", n, seq)
	}
	// Without a token the upgrade is refused.
	if _, _, err := websocket.Dial(ctx, wsURL, nil); err == nil {
		t.Fatal("websocket without a token")
	}
}

// A query over a backlog larger than the feed's ring: a reader that
// connects after the job ended (no Last-Event-ID) gets the final table as
// a snapshot, over SSE and over WebSocket, and no gap.
func TestQueryResultsSnapshotForLateReader(t *testing.T) {
	ts := startServer(t, t.TempDir())
	sql := `CREATE TABLE nx (event_type INT) WITH ('connector' = 'nexmark', 'events.num' = '20000');
SELECT event_type, COUNT(*) AS n FROM nx GROUP BY event_type`
	var js web.JobSummary
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: sql}, &js); c != 201 {
		t.Fatalf("submit: %d", c)
	}
	poll(t, "finished", func() bool { return ts.state(t, js.ID) == web.StateFinished })
	f, err := ts.srv.Feed(js.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Last() <= web.DefaultFeedMessages {
		t.Fatalf("only %d changes: the ring did not overflow", f.Last())
	}
	check := func(how string, msgs [][]byte) {
		t.Helper()
		rows := map[float64]float64{}
		snap := false
		for _, m := range msgs {
			var v struct {
				Seq      uint64
				Op       string
				Row      map[string]float64
				Gap      any
				Snapshot *struct {
					Seq       uint64
					Rows      int
					Truncated bool
				}
			}
			if err := json.Unmarshal(m, &v); err != nil {
				t.Fatalf("%s: %s: %v", how, m, err)
			}
			switch {
			case v.Gap != nil:
				t.Fatalf("%s: gap %s", how, m)
			case v.Snapshot != nil:
				if snap || v.Snapshot.Seq != f.Last() || v.Snapshot.Rows != 3 || v.Snapshot.Truncated {
					t.Fatalf("%s: snapshot %s (last %d)", how, m, f.Last())
				}
				snap = true
			case v.Op == "+I" && !snap && v.Seq == 0:
				if _, dup := rows[v.Row["event_type"]]; dup {
					t.Fatalf("%s: row twice: %s", how, m)
				}
				rows[v.Row["event_type"]] = v.Row["n"]
			default:
				t.Fatalf("%s: unexpected %s", how, m)
			}
		}
		sum := 0.0
		for _, n := range rows {
			sum += n
		}
		if !snap || len(rows) != 3 || sum != 20000 {
			t.Fatalf("%s: table %v (snapshot %v)", how, rows, snap)
		}
	}

	req, _ := http.NewRequest("GET", ts.url+"/api/v1/jobs/"+js.ID+"/results", nil)
	req.Header.Set("Authorization", "Bearer "+ts.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var msgs [][]byte
	sc := bufio.NewScanner(resp.Body)
	sawID := false
	for sc.Scan() {
		line := sc.Text()
		if line == "event: end" {
			break
		}
		if line == fmt.Sprintf("id: %d", f.Last()) {
			sawID = true
		}
		if strings.HasPrefix(line, "data: ") {
			msgs = append(msgs, []byte(line[6:]))
		}
	}
	if !sawID {
		t.Fatal("SSE: the snapshot carries no id")
	}
	check("SSE", msgs)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(ts.url, "http") + "/api/v1/jobs/" + js.ID + "/results/ws"
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + ts.ro}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	msgs = nil
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(b, []byte(`{"end"`)) {
			break
		}
		msgs = append(msgs, b)
	}
	check("WebSocket", msgs)
}

func TestRestartResumesRunningJobs(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	var js, q web.JobSummary
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: insertSQL}, &js); c != 201 {
		t.Fatalf("submit: %d", c)
	}
	unbounded := strings.Replace(querySQL, "'events.num' = '100'", "'first-event.rate' = '100', 'rate.limited' = 'true'", 1)
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: unbounded}, &q); c != 201 {
		t.Fatalf("submit query: %d", c)
	}
	poll(t, "two checkpoints", func() bool { return ts.checkpoints(t, js.ID).Counts.Completed >= 2 })
	ts.stop()
	if _, err := os.Stat(filepath.Join(dir, ServerInfoFile)); !os.IsNotExist(err) {
		t.Fatalf("server.json left behind: %v", err)
	}
	restarted := time.Now()

	ts2 := startServer(t, dir)
	if ts2.token != ts.token {
		t.Fatal("the token changed across a restart")
	}
	poll(t, "resumed", func() bool { return ts2.state(t, js.ID) == web.StateRunning })
	poll(t, "restored from a checkpoint", func() bool { return ts2.checkpoints(t, js.ID).Restored > 0 })
	poll(t, "query restarted", func() bool { return ts2.state(t, q.ID) == web.StateRunning })
	// A resumed job's started_at (and so its uptime) is its latest start.
	var got web.JobSummary
	if c := ts2.call(t, "GET", "/api/v1/jobs/"+js.ID, nil, &got); c != 200 || got.StartedAt.Before(restarted) {
		t.Fatalf("resumed job: %d, started_at %v before the restart at %v", c, got.StartedAt, restarted)
	}
	if ts2.checkpoints(t, q.ID).Enabled {
		t.Fatal("a query job takes checkpoints")
	}
	// A damaged job file is skipped, not fatal.
	ts2.stop()
	name := filepath.Join(dir, "jobs", js.ID, "job.json")
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, bytes.Replace(b, []byte(`"running"`), []byte(`"stopped"`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	ts3 := startServer(t, dir)
	if c := ts3.call(t, "GET", "/api/v1/jobs/"+js.ID, nil, nil); c != 404 {
		t.Fatalf("damaged job file: %d", c)
	}
}

func TestDataDirLayout(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	for _, f := range []string{TokenFile, ReadOnlyTokenFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, fi.Mode(), err)
		}
	}
	var info ServerInfo
	b, err := os.ReadFile(filepath.Join(dir, ServerInfoFile))
	if err != nil || json.Unmarshal(b, &info) != nil || info.URL != ts.url {
		t.Fatalf("server.json %s %v", b, err)
	}
	if _, err := Open(Config{DataDir: dir, Logger: quiet()}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second server on the same directory: %v", err)
	}
	// S5: the overview redacts the tokens.
	resp, err := http.NewRequest("GET", ts.url+"/api/v1/overview", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Header.Set("Authorization", "Bearer "+ts.ro)
	r, err := http.DefaultClient.Do(resp)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || bytes.Contains(body, []byte(ts.token)) || bytes.Contains(body, []byte(ts.ro)) {
		t.Fatalf("overview %d %s", r.StatusCode, body)
	}
}

// S3: traversal variants on every route never reach a file outside the
// data directory (a canary next to it), also through a symlink.
func TestPathTraversalCanary(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	canary := "CANARY-7f3a9c"
	if err := os.WriteFile(filepath.Join(root, "canary.txt"), []byte(canary), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, dir)
	if err := os.Symlink(root, filepath.Join(dir, "savepoints", "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(root, filepath.Join(dir, "jobs", "escape")); err != nil {
		t.Fatal(err)
	}
	variants := []string{"../canary.txt", "..%2fcanary.txt", "..%252fcanary.txt", "%2e%2e/canary.txt",
		filepath.Join(root, "canary.txt"), "canary.txt%00", "escape", "escape/canary.txt", "..", "%2e%2e%2f%2e%2e%2fcanary.txt"}
	ws, err := web.New(web.Config{Addr: "127.0.0.1:0", Token: ts.token, ReadOnlyToken: ts.ro, Logger: quiet(), Journal: ts.srv.JournalHandler()}, ts.srv)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range ws.Routes() {
		var paths []string
		for _, v := range variants {
			found := false
			for _, wild := range []string{"{id}", "{file}", "{path...}", "{topic}", "{p}"} {
				if strings.Contains(rt.Pattern, wild) {
					found = true
					p := strings.Replace(rt.Pattern, wild, v, 1)
					p = strings.NewReplacer("{id}", "j1", "{topic}", "t1", "{p}", "0", "{file}", "app.js", "{path...}", "app.js").Replace(p)
					paths = append(paths, p)
				}
			}
			if !found {
				paths = append(paths, strings.TrimSuffix(strings.Replace(rt.Pattern, "{$}", "", 1), "/")+"/"+v)
			}
		}
		for _, p := range paths {
			req, err := http.NewRequest(rt.Method, ts.url, strings.NewReader(`{"name":"escape","sql":"x","from_savepoint":"escape"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Opaque = "//" + req.URL.Host + p // sent as is
			req.Header.Set("Authorization", "Bearer "+ts.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(body, []byte(canary)) {
				t.Fatalf("%s %s leaked the canary", rt.Method, p)
			}
			if resp.StatusCode != 400 && resp.StatusCode != 404 && resp.StatusCode != 405 {
				t.Errorf("%s %s: %d %s", rt.Method, p, resp.StatusCode, body)
			}
		}
	}
	// Savepoints by a symlinked name are refused.
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: insertSQL, FromSavepoint: "escape"}, nil); c != 400 {
		t.Fatalf("from a symlinked savepoint: %d", c)
	}
	var sps struct{ Savepoints []web.SavepointInfo }
	ts.call(t, "GET", "/api/v1/savepoints", nil, &sps)
	if len(sps.Savepoints) != 0 {
		t.Fatalf("savepoints %+v", sps)
	}
}

// S8: tables may not name a file outside the data directory, or a host
// outside the allow list.
func TestTableOptionsAllowList(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "data")
	ts := startServer(t, dir)
	if err := os.WriteFile(filepath.Join(root, "secret.json"), []byte(`{"a":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(root, filepath.Join(dir, "files", "link")); err != nil {
		t.Fatal(err)
	}
	bad := []string{
		`'connector' = 'file', 'format' = 'json', 'path' = '` + filepath.Join(root, "secret.json") + `'`,
		`'connector' = 'file', 'format' = 'json', 'path' = '../../secret.json'`,
		`'connector' = 'filesystem', 'format' = 'json', 'path' = 'file://` + filepath.Join(root, "secret.json") + `'`,
		`'connector' = 'file', 'format' = 'json', 'path' = 'link/secret.json'`,
		`'connector' = 'file', 'format' = 'json', 'path' = '` + filepath.Join(dir, "token") + `'`,
		`'connector' = 'kafka', 'topic' = 't', 'format' = 'json', 'properties.bootstrap.servers' = 'evil.example:9092'`,
		`'connector' = 'kafka', 'topic' = 't', 'format' = 'avro-confluent', 'properties.bootstrap.servers' = 'localhost:9092', 'avro-confluent.url' = 'http://evil.example:8081'`,
		// Globs, the data directory itself, a glob past a symlink check,
		// and URLs whose real host hides behind "?@" or "#@".
		`'connector' = 'file', 'format' = 'csv', 'path' = '../tok*'`,
		`'connector' = 'file', 'format' = 'csv', 'path' = '..'`,
		`'connector' = 'file', 'format' = 'json', 'path' = 'l?nk/secret.json'`,
		`'connector' = 'file', 'format' = 'json', 'path' = '../j*/*/job.json'`,
		`'connector' = 'file', 'format' = 'json', 'path' = '` + filepath.Join(dir, "jobs") + `'`,
		`'connector' = 'kafka', 'topic' = 't', 'format' = 'avro-confluent', 'properties.bootstrap.servers' = 'localhost:9092', 'avro-confluent.url' = 'http://evil.example?@127.0.0.1'`,
		`'connector' = 'kafka', 'topic' = 't', 'format' = 'avro-confluent', 'properties.bootstrap.servers' = 'localhost:9092', 'avro-confluent.url' = 'http://evil.example#@127.0.0.1'`,
		`'connector' = 'kafka', 'topic' = 't', 'format' = 'avro-confluent', 'properties.bootstrap.servers' = 'localhost:9092', 'avro-confluent.url' = 'http://user:pw@127.0.0.1:8081'`,
	}
	for _, with := range bad {
		sql := "CREATE TABLE src (a INT) WITH (" + with + ");\nCREATE TABLE out (a INT) WITH ('connector' = 'blackhole');\nINSERT INTO out SELECT a FROM src;"
		var e struct{ Error, Code string }
		if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: sql}, &e); c != 400 ||
			!(strings.Contains(e.Error, "data directory") || strings.Contains(e.Error, "belongs to the server") || strings.Contains(e.Error, "allow list") ||
				strings.Contains(e.Error, "glob patterns") || strings.Contains(e.Error, "credentials in the URL")) {
			t.Fatalf("%s: %d %+v", with, c, e)
		}

	}
	// A relative path inside files/ is fine.
	if err := os.WriteFile(filepath.Join(dir, "files", "in.json"), []byte(`{"a":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sql := "CREATE TABLE src (a INT) WITH ('connector' = 'file', 'format' = 'json', 'path' = 'in.json');\n" +
		"CREATE TABLE out (a INT) WITH ('connector' = 'file', 'format' = 'json', 'path' = 'out');\nINSERT INTO out SELECT a FROM src;"
	var js web.JobSummary
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: sql}, &js); c != 201 {
		t.Fatalf("a path inside the data directory: %d", c)
	}
	poll(t, "finished", func() bool { return ts.state(t, js.ID) == web.StateFinished })
}

// The server's journal is the one SQL tables use: a topic made over the
// API, an INSERT job writing it exactly-once, a query reading it back, and
// the journal's own API behind the token.
func TestJournalTables(t *testing.T) {
	ts := startServer(t, t.TempDir())
	if c := ts.call(t, "POST", "/api/v1/journal/topics", map[string]any{"name": "bids", "partitions": 2}, nil); c != 201 {
		t.Fatalf("create topic: %d", c)
	}
	if c := ts.call(t, "POST", "/api/v1/journal/topics", map[string]any{"name": "bids"}, nil); c != 409 {
		t.Fatalf("create the topic again: %d", c)
	}
	if c := ts.call(t, "POST", "/api/v1/journal/topics", map[string]any{"name": "../x"}, nil); c != 400 {
		t.Fatalf("bad topic name: %d", c)
	}
	var topics struct {
		Topics []struct{ Name string }
	}
	if c := ts.call(t, "GET", "/api/v1/journal/topics", nil, &topics); c != 200 || len(topics.Topics) != 1 {
		t.Fatalf("topics: %d %+v", c, topics)
	}
	ins := `CREATE TABLE nx (event_type INT, bid ROW<auction BIGINT, price BIGINT>) WITH ('connector' = 'nexmark', 'events.num' = '500');
CREATE TABLE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'journal', 'topic' = 'bids', 'format' = 'json');
INSERT INTO bids SELECT bid.auction, bid.price FROM nx WHERE event_type = 2;`
	var js web.JobSummary
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: ins}, &js); c != 201 {
		t.Fatalf("submit: %d", c)
	}
	poll(t, "the INSERT finished", func() bool { return ts.state(t, js.ID) == web.StateFinished })
	// The bytes in the topic: what the INSERT's sink serialised and what
	// the query's source reads.
	var topicBytes, topicRecords int64
	for p := range 2 {
		for from := int64(0); ; {
			ms, next, err := ts.srv.Journal().Fetch(context.Background(), "bids", p, from, journal.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) == 0 {
				break
			}
			for _, m := range ms {
				topicBytes += int64(len(m.Key) + len(m.Value))
				for _, h := range m.Headers {
					topicBytes += int64(len(h.Key) + len(h.Value))
				}
				topicRecords++
			}
			from = next
		}
	}
	if topicRecords == 0 {
		t.Fatal("the INSERT wrote nothing")
	}
	// bytes of a job's metrics document, summed over its vertices (nil:
	// no vertex counts them).
	jobBytes := func(id string, written bool) *int64 {
		var doc web.MetricsDoc
		if c := ts.call(t, "GET", "/api/v1/jobs/"+id+"/metrics", nil, &doc); c != 200 {
			t.Fatalf("metrics of %s: %d", id, c)
		}
		var sum *int64
		for _, v := range doc.Vertices {
			b := v.BytesRead
			if written {
				b = v.BytesWritten
			}
			if b != nil {
				if sum == nil {
					sum = new(int64)
				}
				*sum += *b
			}
		}
		return sum
	}
	if got := jobBytes(js.ID, true); got == nil || *got != topicBytes {
		t.Fatalf("bytes written by the INSERT's journal sink: %v, want %d (%d records)", got, topicBytes, topicRecords)
	}
	if got := jobBytes(js.ID, false); got != nil {
		t.Fatalf("bytes read by a nexmark generator (which reads no bytes): %d", *got)
	}
	q := `CREATE TABLE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'journal', 'topic' = 'bids', 'format' = 'json', 'scan.bounded.mode' = 'latest-offset');
SELECT COUNT(*) AS n FROM bids`
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: q}, &js); c != 201 {
		t.Fatalf("submit query: %d", c)
	}
	poll(t, "the query finished", func() bool { return ts.state(t, js.ID) == web.StateFinished })
	f, err := ts.srv.Feed(js.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := f.Poll(f.Last(), 1)
	var m struct{ Row struct{ N int } }
	if len(b.Messages) != 1 || json.Unmarshal(b.Messages[0], &m) != nil || m.Row.N == 0 || m.Row.N > 500 {
		t.Fatalf("last result %q", b.Messages)
	}
	if got := jobBytes(js.ID, false); got == nil || *got != topicBytes || int64(m.Row.N) != topicRecords {
		t.Fatalf("bytes read by the query's journal source: %v, want %d (%d records, counted %d)", got, topicBytes, topicRecords, m.Row.N)
	}
	// The journal's API needs the token like every route.
	resp, err := http.Get(ts.url + "/api/v1/journal/topics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("journal API without a token: %d", resp.StatusCode)
	}
}

// A failed INSERT job restarts from its latest checkpoint; the failure is
// in its exceptions; past the attempts it ends failed.
func TestFailedJobRestarts(t *testing.T) {
	var calls, failAt atomic.Int64
	var always atomic.Bool
	failAt.Store(-1)
	ts := startServerWith(t, t.TempDir(), func(c *Config) {
		c.Restart = &stream.RestartStrategy{MaxAttempts: 2}
		c.OnSession = func(s *streamsql.Session) {
			s.RegisterScalar("boom_at", table.BigIntType(), []table.Type{table.BigIntType()}, func(a []table.Value) (table.Value, error) {
				if n := calls.Add(1); n == failAt.Load() || always.Load() {
					return a[0], errors.New("injected failure")
				}
				return a[0], nil
			})
		}
	})
	sql := nexmarkDDL + `INSERT INTO out SELECT boom_at(bid.auction), bid.price FROM nx WHERE event_type = 2;`
	var js web.JobSummary
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: sql}, &js); c != 201 {
		t.Fatalf("submit: %d", c)
	}
	poll(t, "a checkpoint", func() bool { return ts.checkpoints(t, js.ID).Counts.Completed > 0 })
	failAt.Store(calls.Load() + 10)
	poll(t, "a restart from the checkpoint", func() bool {
		var j jobJSON
		ts.call(t, "GET", "/api/v1/jobs/"+js.ID, nil, &j)
		return j.Restarts == 1 && j.State == web.StateRunning && ts.checkpoints(t, js.ID).Restored > 0
	})
	var ex struct{ Exceptions []web.Exception }
	ts.call(t, "GET", "/api/v1/jobs/"+js.ID+"/exceptions", nil, &ex)
	if len(ex.Exceptions) != 1 || !strings.Contains(ex.Exceptions[0].Message, "injected failure") {
		t.Fatalf("exceptions %+v", ex)
	}
	// Fail on every row: the attempts are used up, the job fails for good.
	always.Store(true)
	poll(t, "failed", func() bool { return ts.state(t, js.ID) == web.StateFailed })
	var j jobJSON
	ts.call(t, "GET", "/api/v1/jobs/"+js.ID, nil, &j)
	if j.Restarts != 2 || !strings.Contains(j.Error, "injected failure") || j.EndedAt == nil {
		t.Fatalf("failed job %+v", j.JobSummary)
	}
	rec, err := readRecord(filepath.Join(ts.srv.Dir(), "jobs", js.ID, "job.json"))
	if err != nil || rec.Desired != web.StateFailed {
		t.Fatalf("persisted %+v %v", rec, err)
	}
}

func TestRedactSQL(t *testing.T) {
	in := `CREATE TABLE k (a INT) WITH ('connector' = 'kafka', 'properties.sasl.jaas.config' = 'x required password="p4ss";',
  'properties.ssl.truststore.password' = 'it''s-secret', 'key.format' = 'json', 'topic' = 't', 's3.access-key' = 'AKIA1');`
	out := RedactSQL(in)
	for _, leak := range []string{"p4ss", "it''s-secret", "AKIA1"} {
		if strings.Contains(out, leak) {
			t.Fatalf("%q leaks %q", out, leak)
		}
	}
	for _, keep := range []string{"'key.format' = 'json'", "'topic' = 't'", "'properties.ssl.truststore.password' = '<redacted>'"} {
		if !strings.Contains(out, keep) {
			t.Fatalf("%q lost %q", out, keep)
		}
	}
}

// A job whose journal source commits offsets to a group shows its
// committed lag (JobMetrics.Lags, strom_source_committed_lag_records) and
// its live lag (strom_source_lag_records); the journal collector shows
// every partition's offsets and the group's lag; promtool accepts it.
func TestJournalLagMetrics(t *testing.T) {
	ts := startServer(t, t.TempDir())
	if c := ts.call(t, "POST", "/api/v1/journal/topics", map[string]any{"name": "bids", "partitions": 2}, nil); c != 201 {
		t.Fatalf("create topic: %d", c)
	}
	ins := `CREATE TABLE nx (event_type INT, bid ROW<auction BIGINT, price BIGINT>) WITH ('connector' = 'nexmark', 'events.num' = '500');
CREATE TABLE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'journal', 'topic' = 'bids', 'format' = 'json');
INSERT INTO bids SELECT bid.auction, bid.price FROM nx WHERE event_type = 2;`
	var js web.JobSummary
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: ins}, &js); c != 201 {
		t.Fatalf("submit: %d", c)
	}
	poll(t, "the INSERT finished", func() bool { return ts.state(t, js.ID) == web.StateFinished })
	rd := `CREATE TABLE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'journal', 'topic' = 'bids', 'format' = 'json',
  'scan.commit-offsets' = 'true', 'group.id' = 'reader');
CREATE TABLE out (auction BIGINT, price BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT auction, price FROM bids;`
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{Name: "reader", SQL: rd}, &js); c != 201 {
		t.Fatalf("submit the reader: %d", c)
	}
	poll(t, "the reader's lag reaches 0", func() bool {
		for _, m := range ts.srv.MetricsSource() {
			if m.JobID != js.ID {
				continue
			}
			if len(m.Lags) != 2 {
				return false
			}
			for _, l := range m.Lags {
				if l.Connector != "journal" || l.Topic != "bids" || l.Lag != 0 {
					return false
				}
			}
			return true
		}
		return false
	})
	// The live lag (from the source's readers) and the committed one
	// (from the group) under two names; the live one may need a publication
	// of the source's metrics after the checkpoint.
	var body string
	poll(t, "the live lag in /metrics", func() bool {
		rec := httptest.NewRecorder()
		web.NewMetricsHandler(ts.srv.MetricsSource, ts.srv.JournalCollector()).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body = rec.Body.String()
		return strings.Contains(body, `strom_source_lag_records{connector="journal",job_id="`+js.ID+`",partition="0",topic="bids"} 0`) &&
			strings.Contains(body, `strom_source_lag_records{connector="journal",job_id="`+js.ID+`",partition="1",topic="bids"} 0`)
	})
	for _, want := range []string{`strom_source_committed_lag_records{connector="journal",job_id="` + js.ID + `",partition="1",topic="bids"} 0`,
		`strom_journal_end_offset{partition="0",topic="bids"}`, `strom_journal_group_lag_records{group="reader",partition="1",topic="bids"} 0`,
		`strom_journal_group_committed_offset{group="reader",partition="0",topic="bids"}`} {
		if !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %s:\n%s", want, body)
		}
	}
	if p, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(p, "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("promtool: %v\n%s", err, out)
		}
	}
}

// The journal's idempotent produce through the server's mount: a retried
// POST with the same producer fields writes once; /producers needs the
// token like every journal route.
func TestJournalIdempotentProduce(t *testing.T) {
	ts := startServer(t, t.TempDir())
	if c := ts.call(t, "POST", "/api/v1/journal/topics", map[string]any{"name": "clicks", "partitions": 1}, nil); c != 201 {
		t.Fatalf("create topic: %d", c)
	}
	var reg struct {
		ID    int64  `json:"producer_id"`
		Epoch uint32 `json:"producer_epoch"`
	}
	if c := ts.call(t, "POST", "/api/v1/journal/producers", map[string]any{"name": "web-1"}, &reg); c != 200 {
		t.Fatalf("register a producer: %d", c)
	}
	body := map[string]any{"producer_id": reg.ID, "producer_epoch": reg.Epoch, "sequence": 0,
		"records": []map[string]any{{"value": "a", "partition": 0}, {"value": "b", "partition": 0}}}
	var first, again struct {
		Offsets []struct{ Partition, First, Last int64 }
	}
	if c := ts.call(t, "POST", "/api/v1/journal/topics/clicks/records", body, &first); c != 200 {
		t.Fatalf("produce: %d", c)
	}
	if c := ts.call(t, "POST", "/api/v1/journal/topics/clicks/records", body, &again); c != 200 || fmt.Sprint(again) != fmt.Sprint(first) {
		t.Fatalf("retried produce: %d %+v, first %+v", c, again, first)
	}
	if _, end, err := ts.srv.Journal().Bounds("clicks", 0); err != nil || end != 2 {
		t.Fatalf("end offset %d (%v) after a produce and its retry, want 2", end, err)
	}
	resp, err := http.Post(ts.url+"/api/v1/journal/producers", "application/json", strings.NewReader(`{"name":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST /producers without the token: %d", resp.StatusCode)
	}
}

// A query's TIMESTAMP_LTZ columns carry the session time zone the query
// was planned in (the dashboard shows their instants in it, as strom sql
// does); other columns carry none.
func TestQueryColumnsCarryZone(t *testing.T) {
	ts := startServer(t, t.TempDir())
	sql := `SET 'table.local-time-zone' = 'Asia/Shanghai';
CREATE TABLE nx (event_type INT) WITH ('connector' = 'nexmark', 'events.num' = '10');
SELECT TO_TIMESTAMP_LTZ(0, 3) AS l, TIMESTAMP '2024-01-01 00:00:00' AS t, event_type FROM nx`
	var js web.JobSummary
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: sql}, &js); c != 201 || !js.Query {
		t.Fatalf("submit: %d %+v", c, js)
	}
	poll(t, "finished", func() bool { return ts.state(t, js.ID) == web.StateFinished })
	var j jobJSON
	ts.call(t, "GET", "/api/v1/jobs/"+js.ID, nil, &j)
	got := fmt.Sprint(j.Columns)
	if len(j.Columns) != 3 || !strings.HasPrefix(j.Columns[0].Type, "TIMESTAMP_LTZ(3)") || j.Columns[0].Zone != "Asia/Shanghai" ||
		j.Columns[1].Zone != "" || j.Columns[2].Zone != "" {
		t.Fatalf("columns %s", got)
	}
}
