package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stromio/strom/internal/failpoint"
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
		done <- run(ctx, []string{"server", "--data-dir", dir, "--addr", "127.0.0.1:0", "--checkpoint-interval", "50ms",
			"--stream-write-timeout", "3s"}, &sout, &serr)
	}()
	// The URL is printed after server.json is written.
	pollFor(t, "the dashboard URL", func() bool { return strings.Contains(sout.String(), "/?token=") })
	if _, err := os.Stat(filepath.Join(dir, "server.json")); err != nil {
		t.Fatal(err)
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
	// The dashboard (login link, then the page with the cookie) and the
	// Prometheus metrics of the running job.
	tok, err := os.ReadFile(filepath.Join(dir, "token"))
	if err != nil {
		t.Fatal(err)
	}
	var info struct{ URL string }
	b, _ := os.ReadFile(filepath.Join(dir, "server.json"))
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Get(info.URL + "/?token=" + strings.TrimSpace(string(tok)))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "app.js") {
		t.Fatalf("dashboard: %d %.200s", resp.StatusCode, page)
	}
	for _, asset := range []string{"/ui/app.js", "/ui/style.css", "/ui/vendor/dagre.min.js"} {
		resp, err := hc.Get(info.URL + asset)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", asset, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", info.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	prom, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(prom), `job_id="`+id+`"`) {
		t.Fatalf("metrics: %d %.300s", resp.StatusCode, prom)
	}
	// The overview shows the settings, --stream-write-timeout among them.
	req, _ = http.NewRequest("GET", info.URL+"/api/v1/overview", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var ov struct{ Config map[string]string }
	err = json.NewDecoder(resp.Body).Decode(&ov)
	resp.Body.Close()
	if err != nil || ov.Config["stream_write_timeout"] != "3s" {
		t.Fatalf("overview config: %v %v", err, ov.Config)
	}
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
	out, errs, code = jobCmd("savepoints")
	if code != 0 || !strings.Contains(out, "sp1") || !strings.Contains(out, id) {
		t.Fatalf("savepoints: %d %q %q", code, out, errs)
	}
	// A bounded query: its results to the end.
	q := filepath.Join(t.TempDir(), "count.sql")
	if err := os.WriteFile(q, []byte("CREATE TABLE nx (event_type INT) WITH ('connector' = 'nexmark', 'events.num' = '50');\nSELECT COUNT(*) AS n FROM nx"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code = jobCmd("submit", q)
	if code != 0 {
		t.Fatalf("submit query: %d %q", code, errs)
	}
	qid := strings.Fields(strings.TrimPrefix(out, "submitted job "))[0]
	out, errs, code = jobCmd("results", qid)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !strings.Contains(lines[len(lines)-2], `"row":{"n":50}`) || lines[len(lines)-1] != `{"end":"finished"}` {
		t.Fatalf("results: %d %q %q", code, out, errs)
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

// strom job submit --builtin runs a compiled-in Nexmark job with
// checkpoints; an unknown name is a 400 listing the known ones.
func TestServerBuiltinJob(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	var sout, serr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"server", "--data-dir", dir, "--addr", "127.0.0.1:0", "--checkpoint-interval", "50ms"}, &sout, &serr)
	}()
	defer func() {
		cancel()
		<-done
	}()
	pollFor(t, "the dashboard URL", func() bool { return strings.Contains(sout.String(), "/?token=") })
	jobCmd := func(args ...string) (string, string, int) {
		var o, e bytes.Buffer
		code := run(context.Background(), append([]string{"job"}, append(args, "--data-dir", dir)...), &o, &e)
		return o.String(), e.String(), code
	}
	_, errs, code := jobCmd("submit", "--builtin", "nexmark-q99")
	if code != 1 || !strings.Contains(errs, "400") || !strings.Contains(errs, "nexmark-q5") {
		t.Fatalf("unknown builtin: %d %q", code, errs)
	}
	out, errs, code := jobCmd("submit", "--builtin", "nexmark-q5")
	if code != 0 || !strings.Contains(out, "submitted job j-") || !strings.Contains(out, "(nexmark-q5)") {
		t.Fatalf("submit: %d %q %q", code, out, errs)
	}
	id := strings.Fields(strings.TrimPrefix(out, "submitted job "))[0]
	pollFor(t, "a checkpoint of the builtin job", func() bool {
		out, _, _ := jobCmd("show", id)
		return strings.Contains(out, "running") && !strings.Contains(out, "checkpoints: 0 completed")
	})
	out, errs, code = jobCmd("list")
	if code != 0 || !strings.Contains(out, "nexmark-q5") {
		t.Fatalf("list: %d %q %q", code, out, errs)
	}
	// The job view describes the builtin (it has no SQL): what q5 computes
	// and its plan.
	out, errs, code = jobCmd("show", id)
	if code != 0 || !strings.Contains(out, "builtin nexmark-q5: Nexmark q5, Hot items: the auctions with the most bids") {
		t.Fatalf("show: %d %q %q", code, out, errs)
	}
	var info struct{ URL string }
	b, _ := os.ReadFile(filepath.Join(dir, "server.json"))
	tok, _ := os.ReadFile(filepath.Join(dir, "token"))
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", info.URL+"/api/v1/jobs/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SQL     string `json:"sql"`
		Builtin *struct{ Name, Description, Plan string }
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	// At parallelism 1 the keyBys of q5 are chained (DESIGN §3): one vertex.
	if err != nil || doc.SQL != "" || doc.Builtin == nil || doc.Builtin.Name != "nexmark-q5" ||
		!strings.Contains(doc.Builtin.Description, "window_start") ||
		!strings.Contains(doc.Builtin.Plan, "0: nexmark-generator -> bids -> q5-count -> q5-hottest") {
		t.Fatalf("GET /api/v1/jobs/%s: %v %+v", id, err, doc.Builtin)
	}
	if _, errs, code = jobCmd("cancel", id); code != 0 {
		t.Fatalf("cancel: %d %q", code, errs)
	}
}

// --stream-write-timeout outside its bounds is a usage error (exit 2) that
// names the flag, the bounds and the value, before the data directory is
// touched.
func TestServerStreamWriteTimeoutFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for _, v := range []string{"0s", "50ms", "-1s", "11m"} {
		var o, e bytes.Buffer
		code := run(context.Background(), []string{"server", "--data-dir", dir, "--addr", "127.0.0.1:0", "--stream-write-timeout", v}, &o, &e)
		want := "--stream-write-timeout must be between 100ms and 10m0s, got "
		if code != 2 || !strings.Contains(e.String(), want) {
			t.Errorf("--stream-write-timeout %s: exit %d, stderr %q; want exit 2 and %q", v, code, e.String(), want)
		}
	}
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"server", "--data-dir", dir, "--stream-write-timeout", "soon"}, &o, &e); code != 2 || !strings.Contains(e.String(), "invalid argument") {
		t.Errorf("--stream-write-timeout soon: exit %d, stderr %q", code, e.String())
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the data directory was made by a refused start: %v", err)
	}
}

// A real crash during a savepoint: `strom server` (this test binary as
// strom) is killed with SIGKILL by the savepoint-written failpoint after
// the savepoint's files and before its <name>.json; the next start removes
// the incomplete directory, resumes the job, and the name can be used again.
func TestServerCrashDuringSavepoint(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL is Unix")
	}
	dir := filepath.Join(t.TempDir(), "data")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(exe, "server", "--data-dir", dir, "--addr", "127.0.0.1:0", "--checkpoint-interval", "50ms")
	child.Env = append(os.Environ(), nxChildEnv+"=1", failpoint.EnvVar+"=savepoint-written")
	var cout, cerr syncBuffer
	child.Stdout, child.Stderr = &cout, &cerr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var werr error
	exited := make(chan struct{})
	go func() { werr = child.Wait(); close(exited) }()
	defer func() {
		_ = child.Process.Kill()
		<-exited
	}()
	pollFor(t, "the child server's URL", func() bool { return strings.Contains(cout.String(), "/?token=") })
	jobCmd := func(args ...string) (string, string, int) {
		var o, e bytes.Buffer
		code := run(context.Background(), append([]string{"job"}, append(args, "--data-dir", dir)...), &o, &e)
		return o.String(), e.String(), code
	}
	out, errs, code := jobCmd("submit", "--builtin", "nexmark-q1")
	if code != 0 {
		t.Fatalf("submit: %d %q %q", code, out, errs)
	}
	id := strings.Fields(strings.TrimPrefix(out, "submitted job "))[0]
	pollFor(t, "a checkpoint", func() bool {
		out, _, _ := jobCmd("show", id)
		return strings.Contains(out, "running") && !strings.Contains(out, "checkpoints: 0 completed")
	})
	if _, _, code := jobCmd("savepoint", id, "--name", "sp1"); code == 0 {
		t.Fatal("the savepoint succeeded; the failpoint should have killed the server")
	}
	<-exited
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() || !strings.Contains(cerr.String(), "failpoint savepoint-written hit") {
		t.Fatalf("the child server ended with %v, stderr %q; want SIGKILL by the failpoint", werr, cerr.String())
	}
	spDir := filepath.Join(dir, "savepoints", "sp1")
	if ents, err := os.ReadDir(spDir); err != nil || len(ents) == 0 {
		t.Fatalf("the crash left no savepoint directory: %v %v", ents, err)
	}
	if _, err := os.Stat(spDir + ".json"); !os.IsNotExist(err) {
		t.Fatalf("sp1.json after the crash: %v", err)
	}

	// The next start (in process, no failpoint).
	ctx, cancel := context.WithCancel(context.Background())
	var sout, serr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"server", "--data-dir", dir, "--addr", "127.0.0.1:0", "--checkpoint-interval", "50ms"}, &sout, &serr)
	}()
	defer func() {
		cancel()
		<-done
	}()
	pollFor(t, "the URL", func() bool { return strings.Contains(sout.String(), "/?token=") })
	if _, err := os.Stat(spDir); !os.IsNotExist(err) {
		t.Fatalf("the incomplete savepoint is still there after a start: %v", err)
	}
	if !strings.Contains(serr.String(), "removed an incomplete savepoint") {
		t.Fatalf("the removal was not logged: %q", serr.String())
	}
	pollFor(t, "the job resumed", func() bool {
		out, _, _ := jobCmd("show", id)
		return strings.Contains(out, "running")
	})
	if out, errs, code := jobCmd("savepoint", id, "--name", "sp1"); code != 0 || !strings.Contains(out, "savepoint sp1") {
		t.Fatalf("savepoint sp1 after the crash: %d %q %q", code, out, errs)
	}
	if out, _, code := jobCmd("savepoints"); code != 0 || !strings.Contains(out, "sp1") {
		t.Fatalf("savepoints: %d %q", code, out)
	}
}
