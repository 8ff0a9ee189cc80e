package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/stromio/strom/internal/web"
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
	t.Helper()
	srv, err := Open(Config{DataDir: dir, Version: "test", Logger: quiet(), Out: io.Discard,
		Restart: nil, CheckpointInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tok, ro := srv.Tokens()
	ws, err := web.New(web.Config{Addr: "127.0.0.1:0", Token: tok, ReadOnlyToken: ro, Logger: quiet()}, srv)
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

type jobJSON struct {
	web.JobSummary
	SQL     string            `json:"sql"`
	Graph   []web.GraphVertex `json:"graph"`
	Columns []web.Column      `json:"columns"`
}

func (ts *testServer) state(t *testing.T, id string) string {
	var j jobJSON
	if c := ts.call(t, "GET", "/api/v1/jobs/"+id, nil, &j); c != 200 {
		t.Fatalf("get job %s: %d", id, c)
	}
	return j.State
}

func (ts *testServer) checkpoints(t *testing.T, id string) web.CheckpointsJSON {
	var c web.CheckpointsJSON
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
	if len(j.Graph) == 0 || len(j.Graph[0].Operators) == 0 || j.SQL != insertSQL {
		t.Fatalf("job %+v", j)
	}
	poll(t, "records through the job", func() bool {
		var m struct{ Operators []web.OperatorMetrics }
		ts.call(t, "GET", "/api/v1/jobs/"+js.ID+"/metrics", nil, &m)
		for _, o := range m.Operators {
			if o.RecordsOut > 0 {
				return true
			}
		}
		return false
	})
	poll(t, "a checkpoint", func() bool { return ts.checkpoints(t, js.ID).Completed > 0 })
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
	poll(t, "cancelled", func() bool { return ts.state(t, js2.ID) == web.StateCancelled })
	if c := ts.call(t, "POST", "/api/v1/jobs/"+js2.ID+"/cancel", nil, nil); c != 409 {
		t.Fatalf("second cancel: %d", c)
	}
	// A planning error is a 400 with its position.
	var e struct{ Error, Code string }
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: "SELEC 1"}, &e); c != 400 || !strings.Contains(e.Error, "line 1") {
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
	req, _ := http.NewRequest("GET", ts.url+"/api/v1/jobs/"+js.ID+"/results", nil)
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
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + ts.ro}}})
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
	poll(t, "two checkpoints", func() bool { return ts.checkpoints(t, js.ID).Completed >= 2 })
	ts.stop()
	if _, err := os.Stat(filepath.Join(dir, ServerInfoFile)); !os.IsNotExist(err) {
		t.Fatalf("server.json left behind: %v", err)
	}

	ts2 := startServer(t, dir)
	if ts2.token != ts.token {
		t.Fatal("the token changed across a restart")
	}
	poll(t, "resumed", func() bool { return ts2.state(t, js.ID) == web.StateRunning })
	poll(t, "restored from a checkpoint", func() bool { return ts2.checkpoints(t, js.ID).Restored > 0 })
	poll(t, "query restarted", func() bool { return ts2.state(t, q.ID) == web.StateRunning })
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
	ws, err := web.New(web.Config{Addr: "127.0.0.1:0", Token: ts.token, ReadOnlyToken: ts.ro, Logger: quiet()}, ts.srv)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range ws.Routes() {
		for _, v := range variants {
			p := rt.Pattern
			switch {
			case strings.Contains(p, "{id}"):
				p = strings.Replace(p, "{id}", v, 1)
			case strings.Contains(p, "{path...}"):
				p = strings.Replace(p, "{path...}", v, 1)
			default:
				p = strings.TrimSuffix(strings.Replace(p, "{$}", "", 1), "/") + "/" + v
			}
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
	}
	for _, with := range bad {
		sql := "CREATE TABLE src (a INT) WITH (" + with + ");\nCREATE TABLE out (a INT) WITH ('connector' = 'blackhole');\nINSERT INTO out SELECT a FROM src;"
		var e struct{ Error, Code string }
		if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: sql}, &e); c != 400 ||
			!(strings.Contains(e.Error, "data directory") || strings.Contains(e.Error, "belongs to the server") || strings.Contains(e.Error, "allow list")) {
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
