package web

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/internal/cluster"
	"github.com/stromio/strom/internal/operator"
)

// ---------------------------------------------------------------- UIHandler

func uiGet(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestUIHandlerContentTypes(t *testing.T) {
	h := UIHandler()
	for _, tc := range []struct {
		path, ctype, cache, contains string
	}{
		{"/", "text/html; charset=utf-8", "no-cache", "<title>strom</title>"},
		{"/index.html", "text/html; charset=utf-8", "no-cache", `src="/ui/app.js"`},
		{"/ui/app.js", "text/javascript; charset=utf-8", "no-cache", "LiveResults"},
		{"/ui/vendor/dagre.min.js", "text/javascript; charset=utf-8", "public, max-age=86400", "var dagre="},
		{"/app.js", "text/javascript; charset=utf-8", "no-cache", "LiveResults"},
		{"/style.css", "text/css; charset=utf-8", "no-cache", "--accent"},
		{"/favicon.svg", "image/svg+xml", "no-cache", "<svg"},
		{"/vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8", "public, max-age=86400", "uPlot"},
		{"/vendor/uPlot.min.css", "text/css; charset=utf-8", "public, max-age=86400", ".uplot"},
		{"/vendor/dagre.min.js", "text/javascript; charset=utf-8", "public, max-age=86400", "var dagre="},
	} {
		rec := uiGet(t, h, "GET", tc.path, nil)
		if rec.Code != 200 {
			t.Fatalf("GET %s: %d", tc.path, rec.Code)
		}
		if got := rec.Header().Get("Content-Type"); got != tc.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.path, got, tc.ctype)
		}
		if got := rec.Header().Get("Cache-Control"); got != tc.cache {
			t.Errorf("GET %s: Cache-Control %q, want %q", tc.path, got, tc.cache)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("ETag") == "" {
			t.Errorf("GET %s: headers %v", tc.path, rec.Header())
		}
		if !strings.Contains(rec.Body.String(), tc.contains) {
			t.Errorf("GET %s: body lacks %q", tc.path, tc.contains)
		}
		if rec.Header().Get("Content-Length") != fmt.Sprint(rec.Body.Len()) {
			t.Errorf("GET %s: Content-Length %s, body %d", tc.path, rec.Header().Get("Content-Length"), rec.Body.Len())
		}
	}
	idx := uiGet(t, h, "GET", "/", nil)
	if csp := idx.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("index CSP %q", csp)
	}
	if idx.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("index Referrer-Policy %q", idx.Header().Get("Referrer-Policy"))
	}
	if a, b := idx.Body.String(), uiGet(t, h, "GET", "/index.html", nil).Body.String(); a != b {
		t.Error("/ and /index.html differ")
	}
	// The page's token never names the file: / with a query is the index.
	if rec := uiGet(t, h, "GET", "/?token=abc", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "<title>strom</title>") {
		t.Errorf("GET /?token=: %d", rec.Code)
	}
}

func TestUIHandlerRejects(t *testing.T) {
	h := UIHandler()
	for _, tc := range []struct {
		target string
		code   int
	}{
		{"/../ui.go", 400},
		{"/vendor/../app.js", 400},
		{"/%2e%2e/ui.go", 400},
		{"/vendor/..%2fapp.js", 400},
		{"/..", 400},
		{"/vendor", 404},
		{"/vendor/", 404},          // no directory listing
		{"/vendor/README.md", 404}, // embedded, not served
		{"/vendor/dagre.LICENSE", 404},
		{"/ui/ui/index.html", 404},
		{"/ui/../app.js", 400},
		{"/ui/vendor/", 404},
		{"/uiapp.js", 404},
		{"/nope.js", 404},
		{"/api/v1/jobs", 404},
	} {
		if rec := uiGet(t, h, "GET", tc.target, nil); rec.Code != tc.code {
			t.Errorf("GET %s: %d, want %d", tc.target, rec.Code, tc.code)
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		rec := uiGet(t, h, m, "/", nil)
		if rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /: %d, Allow %q", m, rec.Code, rec.Header().Get("Allow"))
		}
	}
}

func TestUIHandlerConditional(t *testing.T) {
	h := UIHandler()
	first := uiGet(t, h, "GET", "/app.js", nil)
	etag := first.Header().Get("ETag")
	if rec := uiGet(t, h, "GET", "/app.js", map[string]string{"If-None-Match": etag}); rec.Code != 304 || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	if rec := uiGet(t, h, "GET", "/app.js", map[string]string{"If-None-Match": `"other", W/` + etag}); rec.Code != 304 {
		t.Errorf("If-None-Match list: %d", rec.Code)
	}
	if rec := uiGet(t, h, "GET", "/app.js", map[string]string{"If-None-Match": `"other"`}); rec.Code != 200 {
		t.Errorf("If-None-Match other: %d", rec.Code)
	}
	head := uiGet(t, h, "HEAD", "/app.js", nil)
	if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Length") != first.Header().Get("Content-Length") {
		t.Errorf("HEAD: %d, %d bytes, length %q", head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}
	// Mounted under a prefix.
	srv := httptest.NewServer(http.StripPrefix("/ui", UIHandler()))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/ui/style.css")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("under a prefix: %d", res.StatusCode)
	}
}

// ---------------------------------------------------------------- fake API
//
// uiFakeAPI implements the routes of DESIGN.md §8 the dashboard uses, with
// fixed data: j1, a running job of three vertices (a diamond with HASH,
// REBALANCE and BROADCAST edges), checkpoints and exceptions; q1, a
// running query job whose results stream is a changelog with -U/+U and -D;
// f1, a finished job.

type uiFakeAPI struct {
	now    time.Time
	events bool // serve /api/v1/events (else 404: the dashboard polls)
	// resume: the results stream breaks after the 4th change; the
	// reconnection (Last-Event-ID: 4) is answered from seq 3, as a ring
	// that overlaps, so the page must drop what it has seen.
	resume bool
	noJobs bool // GET /api/v1/jobs lists none (a fresh server)
	// finishAfter > 0: j1 is finished once GET /api/v1/jobs was called
	// that many times.
	finishAfter int32
	listCalls   atomic.Int32
	posts       chan string
}

var uiFakeVertices = []map[string]any{
	{"id": 0, "name": "Source: nexmark", "parallelism": 2,
		"operators": []map[string]any{{"name": "Source: nexmark", "uid": "src"}, {"name": "Calc(event_type = 2)", "uid": "calc"}, {"name": "WatermarkAssigner", "uid": "wm"}},
		"inputs":    []map[string]any{}},
	{"id": 1, "name": "HopWindowAggregate", "parallelism": 4,
		"operators": []map[string]any{{"name": "HopWindowAggregate(auction, COUNT(*))", "uid": "agg"}, {"name": "Calc(auction, num)", "uid": "proj"}},
		"inputs":    []map[string]any{{"from": 0, "partitioning": "HASH"}}},
	{"id": 2, "name": "Sink: hot_items", "parallelism": 1,
		"operators": []map[string]any{{"name": "Sink: hot_items", "uid": "sink"}},
		"inputs":    []map[string]any{{"from": 1, "partitioning": "REBALANCE"}, {"from": 0, "partitioning": "BROADCAST"}}},
}

var uiFakeQueryVertices = []map[string]any{
	{"id": 0, "name": "Source: orders", "parallelism": 1, "operators": []map[string]any{{"name": "Source: orders", "uid": "s"}}, "inputs": []map[string]any{}},
	{"id": 1, "name": "GroupAggregate", "parallelism": 2, "operators": []map[string]any{{"name": "GroupAggregate(k, SUM(v))", "uid": "g"}}, "inputs": []map[string]any{{"from": 0, "partitioning": "HASH"}}},
}

// uiFakeWideVertices is a longer pipeline (a job not in the list, for the
// layout of a wide graph: go test -run TestDashboardScreenshot).
var uiFakeWideVertices = func() []map[string]any {
	names := []string{"Source: bids", "Calc(price > 100)", "WindowAggregate(auction)", "Rank(top 3)", "Join(auction)", "Sink: hot_items"}
	parts := []string{"", "FORWARD", "HASH", "HASH", "HASH", "REBALANCE"}
	var vs []map[string]any
	for i, n := range names {
		v := map[string]any{"id": i, "name": n, "parallelism": 1 + i%3,
			"operators": []map[string]any{{"name": n, "uid": fmt.Sprint(i)}}, "inputs": []map[string]any{}}
		if i > 0 {
			v["inputs"] = []map[string]any{{"from": i - 1, "partitioning": parts[i]}}
		}
		vs = append(vs, v)
	}
	vs = append(vs, map[string]any{"id": 6, "name": "Source: auctions", "parallelism": 2,
		"operators": []map[string]any{{"name": "Source: auctions", "uid": "a"}, {"name": "Calc(category = 10)", "uid": "c"}}, "inputs": []map[string]any{}})
	vs[4]["inputs"] = append(vs[4]["inputs"].([]map[string]any), map[string]any{"from": 6, "partitioning": "HASH"})
	return vs
}()

func (f *uiFakeAPI) job(id string) map[string]any {
	start := f.now.Add(-83 * time.Minute).UTC().Format(time.RFC3339Nano)
	switch id {
	case "j1":
		if f.finishAfter > 0 && f.listCalls.Load() >= f.finishAfter {
			return map[string]any{"id": "j1", "name": "nexmark-hot-items", "kind": "sql", "state": "finished", "query": false,
				"started_at": start, "ended_at": f.now.UTC().Format(time.RFC3339Nano), "error": "", "records_per_second": 0.0, "parallelism": 4}
		}
		return map[string]any{"id": "j1", "name": "nexmark-hot-items", "kind": "sql", "state": "running", "query": false,
			"started_at": start, "ended_at": nil, "error": "", "records_per_second": 52340.0, "parallelism": 4}
	case "q1":
		return map[string]any{"id": "q1", "name": "totals-by-key", "kind": "sql", "state": "running", "query": true,
			"started_at": f.now.Add(-2 * time.Minute).UTC().Format(time.RFC3339Nano), "ended_at": nil, "error": "", "records_per_second": 12.0, "parallelism": 2}
	case "w1":
		return map[string]any{"id": "w1", "name": "nexmark-q-wide", "kind": "sql", "state": "finished",
			"started_at": start, "ended_at": f.now.Add(-3 * time.Minute).UTC().Format(time.RFC3339Nano), "error": "", "parallelism": 3}
	case "f1":
		return map[string]any{"id": "f1", "name": "backfill-2026-11", "kind": "builtin", "state": "failed", "query": false,
			"started_at": f.now.Add(-26 * time.Hour).UTC().Format(time.RFC3339Nano), "ended_at": f.now.Add(-25 * time.Hour).UTC().Format(time.RFC3339Nano),
			"error": "operator Sink: archive (subtask 0): disk quota exceeded", "records_per_second": 0.0, "parallelism": 1}
	}
	return nil
}

func (f *uiFakeAPI) detail(id string) map[string]any {
	j := f.job(id)
	switch id {
	case "j1":
		j["sql"] = "INSERT INTO hot_items\nSELECT auction, COUNT(*) AS num\nFROM TABLE(HOP(TABLE bids, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND))\nGROUP BY auction, window_start, window_end;"
		j["graph"] = map[string]any{"vertices": uiFakeVertices}
	case "q1":
		j["sql"] = "SELECT k, SUM(v) AS v FROM orders GROUP BY k;"
		j["graph"] = map[string]any{"vertices": uiFakeQueryVertices}
		j["columns"] = []map[string]any{{"name": "k", "type": "STRING"}, {"name": "v", "type": "BIGINT"}}
	case "f1":
		j["graph"] = map[string]any{"vertices": uiFakeQueryVertices}
		j["builtin"] = map[string]any{"name": "nexmark-q5", "description": "Nexmark q5, Hot items: the auctions with the most bids.",
			"plan": "0: nexmark-generator -> bids (parallelism 1)\n1: q5-count (parallelism 1) <-HASH- 0\n"}
	case "w1":
		j["graph"] = map[string]any{"vertices": uiFakeWideVertices}
	}
	return j
}

// metrics is the metrics document of job id at time t; wobble varies the
// rates so the charts have a shape.
func (f *uiFakeAPI) metrics(id string, t time.Time) map[string]any {
	k := float64(t.Unix()%60) / 60 * 2 * math.Pi
	wob := func(base, amp float64) float64 { return math.Round(base + amp*math.Sin(k)) }
	v := func(id int, in, out, bp float64, lag int64, state int64) map[string]any {
		m := map[string]any{"id": id, "records_in": int64(in * 4000), "records_out": int64(out * 4000),
			"records_in_per_second": in, "records_out_per_second": out, "backpressure": bp,
			"watermark": t.UnixMilli() - lag, "watermark_lag_ms": lag, "state_bytes": state,
			"late_records": 3, "dead_letters": 0, "latency_p50_ms": 4.2, "latency_p99_ms": 38.5}
		if id == 0 && in == 0 {
			m["records_in_per_second"] = 0.0
			// The source's connector counts the bytes it reads.
			m["bytes_read"], m["bytes_read_per_second"] = int64(out*4000*120), out*120
			// A journal or Kafka source: its live lag.
			m["pending_records"] = int64(12345)
		}
		return m
	}
	var vs []map[string]any
	switch id {
	case "j1":
		vs = []map[string]any{
			v(0, 0, wob(52000, 6000), 0.62, 4100, 0),
			v(1, wob(52000, 6000), wob(8000, 1500), 0.18, 4300+int64(800*math.Sin(k)), 48<<20),
			v(2, wob(9000, 1500), 0, 0.02, 4400+int64(900*math.Sin(k)), 0),
		}
	default:
		vs = []map[string]any{v(0, 0, 12, 0, 2000, 0), v(1, 12, 6, 0, 2100, 4096)}
	}
	return map[string]any{"job_id": id, "time": t.UTC().Format(time.RFC3339Nano), "vertices": vs}
}

func (f *uiFakeAPI) checkpoints() map[string]any {
	var hist []map[string]any
	for i := 0; i < 8; i++ {
		id := 48 - i
		c := map[string]any{"id": id, "status": "completed", "trigger_time": f.now.Add(-time.Duration(i*10) * time.Second).UTC().Format(time.RFC3339Nano),
			"duration_ms": 180 + i*13, "bytes": (48 << 20) + i*91231, "alignment_ms": 2 + i, "failure": ""}
		switch i {
		case 0:
			c["status"] = "in_progress"
			c["duration_ms"] = nil
			c["bytes"] = nil
		case 3:
			c["status"] = "failed"
			c["failure"] = "checkpoint 45 expired after 10m0s before completing"
			c["bytes"] = nil
		}
		hist = append(hist, c)
	}
	return map[string]any{"counts": map[string]any{"completed": 46, "failed": 1, "in_progress": 1}, "restored": 12, "history": hist}
}

func (f *uiFakeAPI) exceptions() map[string]any {
	return map[string]any{"exceptions": []map[string]any{
		{"time": f.now.Add(-40 * time.Minute).UTC().Format(time.RFC3339Nano), "operator": "HopWindowAggregate", "subtask": 3,
			"message": "restarting: connection to journal partition bids-3 reset", "cause": "journal: read bids-3 at offset 88123: connection reset by peer\n\tat fetch (journal/http.go:212)"},
		{"time": f.now.Add(-61 * time.Minute).UTC().Format(time.RFC3339Nano), "operator": "Source: nexmark", "subtask": 0,
			"message": "checkpoint 12 declined: source split 0 not ready", "cause": ""},
	}}
}

// uiFakeChangelog ends as a 4, c 3, d 5: a 1 is updated to a 4 (-U/+U), b 2
// deleted.
var uiFakeChangelog = []struct {
	op string
	k  string
	v  int
}{{"+I", "a", 1}, {"+I", "b", 2}, {"-U", "a", 1}, {"+U", "a", 4}, {"+I", "c", 3}, {"-D", "b", 2}, {"+I", "d", 5}}

func (f *uiFakeAPI) handler() http.Handler {
	mux := http.NewServeMux()
	js := func(w http.ResponseWriter, code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	known := func(w http.ResponseWriter, r *http.Request) (string, bool) {
		id := r.PathValue("id")
		if f.job(id) == nil {
			js(w, 404, map[string]any{"error": "no job " + id, "code": "not_found"})
			return "", false
		}
		return id, true
	}
	mux.HandleFunc("GET /api/v1/overview", func(w http.ResponseWriter, r *http.Request) {
		js(w, 200, map[string]any{"version": "v0.9.0", "started_at": f.now.Add(-90 * time.Minute).UTC().Format(time.RFC3339), "jobs": map[string]int{"running": 2, "failed": 1}})
	})
	mux.HandleFunc("GET /api/v1/jobs", func(w http.ResponseWriter, r *http.Request) {
		f.listCalls.Add(1)
		if f.noJobs {
			js(w, 200, map[string]any{"jobs": []any{}})
			return
		}
		js(w, 200, map[string]any{"jobs": []any{f.job("j1"), f.job("q1"), f.job("f1")}})
	})
	mux.HandleFunc("POST /api/v1/jobs", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			SQL         string
			Name        string
			Parallelism int
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.post(fmt.Sprintf("jobs %q %q %d", body.SQL, body.Name, body.Parallelism))
		if i := strings.Index(body.SQL, "SELEC "); i >= 0 {
			line := strings.Count(body.SQL[:i], "\n") + 1
			col := i - strings.LastIndex(body.SQL[:i], "\n")
			js(w, 400, map[string]any{"error": "expected a statement, found SELEC", "code": "sql", "line": line, "column": col})
			return
		}
		js(w, 201, f.job("q1"))
	})
	mux.HandleFunc("GET /api/v1/jobs/{id}", func(w http.ResponseWriter, r *http.Request) {
		if id, ok := known(w, r); ok {
			js(w, 200, f.detail(id))
		}
	})
	mux.HandleFunc("GET /api/v1/jobs/{id}/metrics", func(w http.ResponseWriter, r *http.Request) {
		if id, ok := known(w, r); ok {
			js(w, 200, f.metrics(id, time.Now()))
		}
	})
	mux.HandleFunc("GET /api/v1/jobs/{id}/checkpoints", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := known(w, r); ok {
			js(w, 200, f.checkpoints())
		}
	})
	mux.HandleFunc("GET /api/v1/jobs/{id}/exceptions", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := known(w, r); ok {
			js(w, 200, f.exceptions())
		}
	})
	mux.HandleFunc("POST /api/v1/jobs/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		if id, ok := known(w, r); ok {
			f.post("cancel " + id)
			j := f.job(id)
			j["state"] = "cancelled"
			js(w, 200, j)
		}
	})
	mux.HandleFunc("POST /api/v1/jobs/{id}/savepoint", func(w http.ResponseWriter, r *http.Request) {
		if id, ok := known(w, r); ok {
			b, _ := io.ReadAll(r.Body)
			f.post("savepoint " + id + " " + string(b))
			js(w, 200, map[string]any{"name": "sp-1", "checkpoint_id": 49, "bytes": 50331648})
		}
	})
	mux.HandleFunc("GET /api/v1/jobs/{id}/results", func(w http.ResponseWriter, r *http.Request) {
		id, ok := known(w, r)
		if !ok {
			return
		}
		if id != "q1" {
			js(w, 409, map[string]any{"error": "job " + id + " is not a query job", "code": "not_query"})
			return
		}
		last := 0
		fmt.Sscan(r.Header.Get("Last-Event-ID"), &last)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		if f.resume {
			f.post(fmt.Sprintf("results Last-Event-ID=%q", r.Header.Get("Last-Event-ID")))
			if last == 0 {
				fmt.Fprint(w, "retry: 200\n\n")
			}
		} else {
			fmt.Fprint(w, "retry: 100000\n\n: hello\n\n")
		}
		for i, c := range uiFakeChangelog {
			seq := i + 1
			if f.resume && last > 0 && seq >= last-1 {
				last = 0 // resend from seq last-1
			}
			if seq <= last {
				continue
			}
			if f.resume && r.Header.Get("Last-Event-ID") == "" && seq > 4 {
				w.(http.Flusher).Flush()
				return // the stream breaks
			}
			row, _ := json.Marshal(map[string]any{"seq": seq, "op": c.op, "row": map[string]any{"k": c.k, "v": c.v}})
			fmt.Fprintf(w, "id: %d\ndata: %s\n\n", seq, row)
		}
		if f.resume {
			fmt.Fprint(w, "event: end\ndata: {\"state\":\"finished\"}\n\n") // the job ended, the feed is drained
		}
		w.(http.Flusher).Flush()
		uiFakeHold(r)
	})
	mux.HandleFunc("GET /api/v1/events", func(w http.ResponseWriter, r *http.Request) {
		if !f.events {
			js(w, 404, map[string]any{"error": "not found", "code": "not_found"})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, "retry: 100000\n\n")
		for _, id := range []string{"j1", "q1", "f1"} {
			b, _ := json.Marshal(f.job(id))
			fmt.Fprintf(w, "event: job\ndata: %s\n\n", b)
		}
		// Ninety seconds of ticks at once, so the charts have history.
		now := time.Now()
		for i := 90; i >= 0; i-- {
			for _, id := range []string{"j1", "q1"} {
				b, _ := json.Marshal(f.metrics(id, now.Add(-time.Duration(i)*time.Second)))
				fmt.Fprintf(w, "event: metrics\ndata: %s\n\n", b)
			}
		}
		w.(http.Flusher).Flush()
		uiFakeHold(r)
	})
	// The harness: index.html plus a script that acts as a user would
	// (served by the fake only; UIHandler's CSP allows no such thing).
	mux.HandleFunc("GET /harness.html", func(w http.ResponseWriter, r *http.Request) {
		idx, _ := ui.ReadFile("ui/index.html")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, strings.Replace(string(idx), "</head>", `<script src="harness.js" defer></script></head>`, 1))
	})
	mux.HandleFunc("GET /harness.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		io.WriteString(w, uiHarnessJS)
	})
	mux.Handle("/", UIHandler())
	return mux
}

func (f *uiFakeAPI) post(s string) {
	select {
	case f.posts <- s:
	default:
	}
}

const uiHarnessJS = `
window.addEventListener("load", () => {
  const p = new URLSearchParams(location.search);
  const wait = (sel, f) => {
    const el = document.querySelector(sel);
    if (el && !el.disabled) f(el); else setTimeout(() => wait(sel, f), 50);
  };
  switch (p.get("do")) {
  case "sql":
    wait("#sql-editor", (ed) => {
      ed.value = p.get("sql");
      ed.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, bubbles: true }));
    });
    break;
  case "select":
    wait("#job-graph .node[data-vertex='1']", (n) => n.dispatchEvent(new MouseEvent("click", { bubbles: true })));
    break;
  case "cancel":
    wait("#btn-cancel", (b) => { b.click(); wait("#confirm-cancel", (c) => c.click()); });
    break;
  case "savepoint":
    wait("#btn-savepoint", (b) => { b.click(); wait("#savepoint-stop", (s) => { s.checked = true; wait("#confirm-savepoint", (c) => c.click()); }); });
    break;
  }
});
`

// uiFakeHold keeps an event stream open for a moment, as a live server
// does, without holding up the browser's virtual clock for long.
func uiFakeHold(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(1500 * time.Millisecond):
	}
}

// ---------------------------------------------------------------- Chromium

var uiHeight = flag.Int("height", 1000, "TestDashboardScreenshot: the window's height (the other tests use 1000)")

var uiWidth = flag.Int("width", 1400, "TestDashboardScreenshot: the window's width (the other tests use 1400)")

var uiDark = flag.Bool("dark", false, "TestDashboardScreenshot: render with prefers-color-scheme: dark")

var uiScreenshot = flag.String("screenshot", "", "TestDashboardScreenshot: write the job page's screenshot to this PNG file (and -jobs.png, -sql.png next to it)")

// uiChromium finds Debian's chromium, or skips (fails under CI=true:
// scripts/test.sh installs it).
func uiChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not found: scripts/test.sh installs Debian's chromium (apt-get install chromium)")
	}
	t.Skip("chromium not found: the dashboard tests need Debian's chromium (apt-get install chromium; scripts/test.sh installs it)")
	return ""
}

// uiRunChromium runs headless chromium on url with the mode flags
// (--dump-dom or --screenshot=FILE) and returns its stdout.
func uiRunChromium(t *testing.T, bin, url string, mode ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--hide-scrollbars", "--force-color-profile=srgb", "--lang=en-US",
		"--user-data-dir=" + t.TempDir()}
	for flag, def := range map[string]string{"--window-size=": "1400,1000", "--virtual-time-budget=": "6000"} {
		if !slices.ContainsFunc(mode, func(m string) bool { return strings.HasPrefix(m, flag) }) {
			args = append(args, flag+def)
		}
	}
	args = append(append(args, mode...), url)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", url, err, uiTail(stderr.String(), 2000))
	}
	return stdout.String()
}

func uiTail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func uiServe(t *testing.T, events bool) string {
	t.Helper()
	url, _ := uiServeFake(t, events)
	return url
}

// uiServeFake starts the fake; set configures it before it serves (its
// fields are not written after: the race detector cannot see the browser
// process between the test and the handlers).
func uiServeFake(t *testing.T, events bool, set ...func(*uiFakeAPI)) (string, *uiFakeAPI) {
	t.Helper()
	f := &uiFakeAPI{now: time.Now(), events: events, posts: make(chan string, 16)}
	for _, s := range set {
		s(f)
	}
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	return srv.URL, f
}

// uiPosts drains what the page POSTed.
func (f *uiFakeAPI) drain() []string {
	var out []string
	for {
		select {
		case s := <-f.posts:
			out = append(out, s)
		default:
			return out
		}
	}
}

func uiMustContain(t *testing.T, what, dom string, needles ...string) {
	t.Helper()
	for _, n := range needles {
		if !strings.Contains(dom, n) {
			t.Errorf("%s: the DOM lacks %q", what, n)
		}
	}
}

var uiTagRE = regexp.MustCompile(`<[^>]*>`)

// uiRows returns the text of the cells of each row of the table with id.
func uiRows(dom, id string) [][]string {
	i := strings.Index(dom, `id="`+id+`"`)
	if i < 0 {
		return nil
	}
	rest := dom[i:]
	if j := strings.Index(rest, "</table>"); j >= 0 {
		rest = rest[:j]
	}
	if j := strings.Index(rest, "<tbody>"); j >= 0 {
		rest = rest[j:]
	}
	var rows [][]string
	for _, tr := range strings.Split(rest, "<tr")[1:] {
		var cells []string
		for _, td := range strings.Split(tr, "<td")[1:] {
			td = td[strings.Index(td, ">")+1:]
			if j := strings.Index(td, "</td>"); j >= 0 {
				td = td[:j]
			}
			cells = append(cells, strings.TrimSpace(uiTagRE.ReplaceAllString(td, " ")))
		}
		rows = append(rows, cells)
	}
	return rows
}

func TestDashboardChromium(t *testing.T) {
	bin := uiChromium(t)
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	base := uiServe(t, true)

	t.Run("job page", func(t *testing.T) {
		dom := uiRunChromium(t, bin, base+"/?token=t0k3n#/jobs/j1", "--dump-dom")
		uiMustContain(t, "job page", dom,
			`id="job-name">nexmark-hot-items</h1>`, `class="badge running"`,
			`<svg class="graph"`, `data-vertex="0"`, `data-vertex="1"`, `data-vertex="2"`,
			`>Source: nexmark<`, `>HopWindowAggregate<`, `>Sink: hot_items<`, ">×4<",
			`>HASH<`, `>REBALANCE<`, `>BROADCAST<`, `>Calc(event_type = 2)<`,
			`class="uplot`, `id="checkpoint-table"`, `checkpoint 45 expired`,
			`restarting: connection to journal partition bids-3 reset`, `subtask 3`,
			`id="btn-cancel"`, `id="btn-savepoint"`, `restored from`)
		svg := dom[strings.Index(dom, `<svg class="graph"`):]
		svg = svg[:strings.Index(svg, "</svg>")]
		if !strings.Contains(svg, "62%") || !strings.Contains(svg, "stripe bad") {
			t.Errorf("the graph lacks the source's backpressure (62%%, red): %s", uiTail(svg, 600))
		}
		ck := uiRows(dom, "checkpoint-table")
		if len(ck) != 8 || len(ck[0]) < 7 || ck[0][0] != "#48" || ck[3][1] != "failed" {
			t.Errorf("checkpoint rows: %q", ck)
		}
		vt := uiRows(dom, "vertex-table")
		if len(vt) != 3 || !strings.Contains(vt[0][0], "Source: nexmark") || vt[1][1] != "4" {
			t.Errorf("vertex rows: %q", vt)
		}
		// Bytes/s: the source's (its connector counts them), none elsewhere.
		if len(vt) == 3 && (len(vt[0]) < 14 || !strings.HasSuffix(vt[0][13], " MiB/s in") || vt[1][13] != "—") {
			t.Errorf("bytes per second of the vertices: %q", vt)
		}
		// Pending: the source's live lag, none elsewhere.
		if len(vt) == 3 && (len(vt[0]) < 15 || vt[0][14] != "12,345" || vt[1][14] != "—") {
			t.Errorf("pending records of the vertices: %q", vt)
		}
		if strings.Contains(dom, `id="auth" class="auth"`) && !strings.Contains(dom, `id="auth" class="auth" hidden`) {
			t.Error("the sign-in screen is shown")
		}
		uiMustContain(t, "job page", dom, `data-mode="live"`)
	})

	t.Run("query results", func(t *testing.T) {
		dom := uiRunChromium(t, bin, base+"/#/jobs/q1", "--dump-dom")
		rows := uiRows(dom, "results-table")
		want := [][]string{{"a", "4"}, {"c", "3"}, {"d", "5"}}
		if fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Errorf("result rows %q, want %q (the changelog +I a 1, +I b 2, -U a 1, +U a 4, +I c 3, -D b 2, +I d 5 applied)", rows, want)
		}
		uiMustContain(t, "query job", dom, `id="result-count">3</b>`, `id="job-name">totals-by-key</h1>`, `<span class="type">BIGINT</span>`)
	})

	t.Run("builtin job page", func(t *testing.T) {
		dom := uiRunChromium(t, bin, base+"/#/jobs/f1", "--dump-dom")
		uiMustContain(t, "builtin job", dom, `id="job-name">backfill-2026-11</h1>`, `id="builtin"`,
			`id="builtin-name">nexmark-q5</code>`, `id="builtin-description">Nexmark q5, Hot items: the auctions with the most bids.</p>`,
			`id="builtin-plan">0: nexmark-generator -&gt; bids (parallelism 1)`, `1: q5-count (parallelism 1) &lt;-HASH- 0`)
	})

	t.Run("job list, polling", func(t *testing.T) {
		polled := uiServe(t, false) // no /api/v1/events: the dashboard polls
		dom := uiRunChromium(t, bin, polled+"/", "--dump-dom")
		rows := uiRows(dom, "jobs-table")
		if len(rows) != 3 {
			t.Fatalf("job rows: %q", rows)
		}
		uiMustContain(t, "job list", dom, `data-job="j1"`, `>nexmark-hot-items</a>`, `>totals-by-key</a>`, `>backfill-2026-11</a>`,
			`disk quota exceeded`, `data-mode="polling"`, `id="version" class="muted small">v0.9.0<`)
		if rows[0][0] != "running" || rows[2][0] != "failed" {
			t.Errorf("job order/state: %q", rows)
		}
	})

	t.Run("job page, polling, the job finishes", func(t *testing.T) {
		url, _ := uiServeFake(t, false, func(f *uiFakeAPI) { f.finishAfter = 2 })
		dom := uiRunChromium(t, bin, url+"/#/jobs/j1", "--dump-dom")
		uiMustContain(t, "finished", dom, `id="job-name">nexmark-hot-items</h1><span class="badge finished">`,
			`id="btn-cancel" disabled=""`, `data-mode="polling"`, ">ran <b>")
	})

	t.Run("SQL editor", func(t *testing.T) {
		dom := uiRunChromium(t, bin, base+"/#/sql", "--dump-dom")
		uiMustContain(t, "SQL editor", dom, `id="sql-editor"`, `id="sql-run"`, "Ctrl+Enter")
	})

	t.Run("SQL submit", func(t *testing.T) {
		url, f := uiServeFake(t, true)
		sql := "SELECT k, SUM(v) AS v\nFROM orders GROUP BY k;"
		dom := uiRunChromium(t, bin, url+"/harness.html?do=sql&sql="+neturl.QueryEscape(sql)+"#/sql", "--dump-dom")
		if got, want := f.drain(), []string{fmt.Sprintf("jobs %q %q %d", sql, "", 1)}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("POSTs %q, want %q", got, want)
		}
		rows := uiRows(dom, "results-table")
		if fmt.Sprint(rows) != fmt.Sprint([][]string{{"a", "4"}, {"c", "3"}, {"d", "5"}}) {
			t.Errorf("SQL editor results %q", rows)
		}
		uiMustContain(t, "SQL submit", dom, `id="sql-results"`, `href="#/jobs/q1"`, `id="result-count">3</b>`)
	})

	t.Run("SQL error", func(t *testing.T) {
		sql := "CREATE VIEW v AS\n  SELEC 1;"
		dom := uiRunChromium(t, bin, base+"/harness.html?do=sql&sql="+neturl.QueryEscape(sql)+"#/sql", "--dump-dom")
		uiMustContain(t, "SQL error", dom, `<span class="where">line 2, column 3: </span>expected a statement, found SELEC`,
			"   2 |   SELEC 1;\n         ^")
		if strings.Contains(dom, `id="sql-error" hidden`) {
			t.Error("the error is hidden")
		}
	})

	t.Run("select a vertex", func(t *testing.T) {
		dom := uiRunChromium(t, bin, base+"/harness.html?do=select#/jobs/j1", "--dump-dom")
		uiMustContain(t, "select", dom, `<g class="node selected" transform=`, `<tr id="vertex-1" class="selected">`)
	})

	t.Run("cancel", func(t *testing.T) {
		url, f := uiServeFake(t, true)
		dom := uiRunChromium(t, bin, url+"/harness.html?do=cancel#/jobs/j1", "--dump-dom", "--virtual-time-budget=2500") // before the toast goes
		if got := f.drain(); fmt.Sprint(got) != "[cancel j1]" {
			t.Errorf("POSTs %q", got)
		}
		uiMustContain(t, "cancel", dom, "Job nexmark-hot-items cancelled.", `class="badge cancelled"`)
	})

	t.Run("savepoint", func(t *testing.T) {
		url, f := uiServeFake(t, true)
		dom := uiRunChromium(t, bin, url+"/harness.html?do=savepoint#/jobs/j1", "--dump-dom", "--virtual-time-budget=2500")
		got := f.drain()
		if len(got) != 1 || !regexp.MustCompile(`^savepoint j1 \{"name":"nexmark-hot-items-\d{8}-\d{6}","stop":true\}$`).MatchString(got[0]) {
			t.Errorf("POSTs %q", got)
		}
		uiMustContain(t, "savepoint", dom, "Savepoint sp-1 at checkpoint #49 (48 MiB); the job is stopped.")
	})

	t.Run("results resume", func(t *testing.T) {
		url, f := uiServeFake(t, true, func(f *uiFakeAPI) { f.resume = true })
		dom := uiRunChromium(t, bin, url+"/#/jobs/q1", "--dump-dom")
		if got := f.drain(); fmt.Sprint(got) != `[results Last-Event-ID="" results Last-Event-ID="4"]` {
			t.Errorf("results requests %q", got)
		}
		rows := uiRows(dom, "results-table")
		if fmt.Sprint(rows) != fmt.Sprint([][]string{{"a", "4"}, {"c", "3"}, {"d", "5"}}) {
			t.Errorf("after a reconnection with an overlap: rows %q", rows)
		}
		uiMustContain(t, "results resume", dom, `id="result-count">3</b>`, `<span class="live-dot off"></span> ended`)
	})

	t.Run("screenshot", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "job.png")
		uiRunChromium(t, bin, base+"/#/jobs/j1", "--screenshot="+file)
		uiCheckScreenshot(t, file)
	})

	t.Run("unauthorized", func(t *testing.T) {
		mux := http.NewServeMux()
		mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"missing or wrong token","code":"unauthorized"}`)
		})
		mux.Handle("/", UIHandler())
		srv := httptest.NewServer(mux)
		defer srv.Close()
		dom := uiRunChromium(t, bin, srv.URL+"/", "--dump-dom")
		uiMustContain(t, "401", dom, "Open the URL printed by <code>strom server</code>", `data-mode="signed-out"`)
		if strings.Contains(dom, `id="auth" class="auth" hidden`) {
			t.Error("401: the sign-in screen is hidden")
		}
	})
}

// uiCheckScreenshot decodes the PNG and checks it is the page: the window's
// size, many colours, and the graph drawn (node borders and edge labels in
// the graph's area, not a blank card).
func uiCheckScreenshot(t *testing.T, file string) image.Image {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	bd := img.Bounds()
	if bd.Dx() != 1400 || bd.Dy() != 1000 {
		t.Errorf("screenshot %dx%d, want 1400x1000", bd.Dx(), bd.Dy())
	}
	colours := map[uint32]bool{}
	bg := img.At(5, bd.Dy()-5)
	var graphInk int
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[(r>>8)<<16|(g>>8)<<8|bl>>8] = true
			// the graph card: below the header and the stat tiles
			if y > 300 && y < 640 && x > 40 && x < 1360 {
				if r2, g2, b2, _ := bg.RGBA(); uiAbsDiff(r, r2)+uiAbsDiff(g, g2)+uiAbsDiff(bl, b2) > 3*0x2000 {
					graphInk++
				}
			}
		}
	}
	if len(colours) < 64 {
		t.Errorf("screenshot has %d colours: a blank page?", len(colours))
	}
	if graphInk < 5000 {
		t.Errorf("the graph area has %d drawn pixels", graphInk)
	}
	return img
}

func uiAbsDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestDashboardScreenshot writes screenshots of the dashboard against the
// fake API, for people: go test ./internal/web -run TestDashboardScreenshot -args -screenshot=/tmp/strom.png
func TestDashboardScreenshot(t *testing.T) {
	if *uiScreenshot == "" {
		t.Skip("no -screenshot=FILE.png")
	}
	bin := uiChromium(t)
	base := uiServe(t, true)
	stem := strings.TrimSuffix(*uiScreenshot, ".png")
	for _, p := range []struct{ file, frag string }{
		{*uiScreenshot, "#/jobs/j1"}, {stem + "-jobs.png", "#/"}, {stem + "-query.png", "#/jobs/q1"}, {stem + "-sql.png", "#/sql"}, {stem + "-wide.png", "#/jobs/w1"},
		{stem + "-sql-error.png", "harness.html?do=sql&sql=" + neturl.QueryEscape("CREATE VIEW v AS\n  SELEC 1;") + "#/sql"},
		{stem + "-sql-results.png", "harness.html?do=sql&sql=" + neturl.QueryEscape("SELECT k, SUM(v) AS v\nFROM orders\nGROUP BY k;") + "#/sql"},
	} {
		mode := []string{"--screenshot=" + p.file, fmt.Sprintf("--window-size=%d,%d", *uiWidth, *uiHeight)}
		if *uiDark {
			mode = append(mode, "--force-dark-mode")
		}
		uiRunChromium(t, bin, base+"/"+p.frag, mode...)
		t.Logf("wrote %s", p.file)
	}
	fresh, _ := uiServeFake(t, false, func(f *uiFakeAPI) { f.noJobs = true })
	uiRunChromium(t, bin, fresh+"/", "--screenshot="+stem+"-empty.png")
	t.Logf("wrote %s", stem+"-empty.png")
	if *uiHeight == 1000 && *uiWidth == 1400 {
		uiCheckScreenshot(t, *uiScreenshot)
	}
}

// ---------------------------------------------------------------- the real router
//
// TestDashboardRealServer serves the dashboard through web.New (the real
// routes, login, cookie auth, SSE feeds and JSON shapes) over a fixed
// Backend, and checks in Chromium that the page reads what it serves.

type uiBackend struct {
	now     time.Time
	events  *Feed
	results *Feed
	posts   chan string
	columns []Column // q1's result columns (nil: k STRING, v BIGINT)
}

func (b *uiBackend) post(s string) {
	select {
	case b.posts <- s:
	default:
	}
}

func (b *uiBackend) summary(id string) JobSummary {
	switch id {
	case "q1":
		return JobSummary{ID: "q1", Name: "totals-by-key", Kind: "sql", Query: true, State: StateRunning, StartedAt: b.now.Add(-2 * time.Minute)}
	default:
		return JobSummary{ID: "j1", Name: "nexmark-hot-items", Kind: "sql", State: StateRunning, StartedAt: b.now.Add(-83 * time.Minute)}
	}
}

func (b *uiBackend) Overview() Overview {
	return Overview{Version: "strom v0.9.0-real (go1.26)", StartedAt: b.now, Jobs: map[string]int{"running": 2}}
}

func (b *uiBackend) Jobs() []JobSummary { return []JobSummary{b.summary("q1"), b.summary("j1")} }

func (b *uiBackend) Job(id string) (JobInfo, error) {
	if id != "j1" && id != "q1" {
		return JobInfo{}, NotFound("no job %s", id)
	}
	wm := b.now.UnixMilli() - 3000
	snap := func(in, out, state int64) []operator.MetricsSnapshot {
		return []operator.MetricsSnapshot{{RecordsIn: in, RecordsOut: out, Watermark: wm, StateBytes: state}}
	}
	ji := JobInfo{JobSummary: b.summary(id), Checkpointing: true,
		Checkpoints: cluster.CheckpointStats{Completed: 5, Failed: 1, LastID: 6, LastDuration: 120 * time.Millisecond, LastBytes: 3 << 20,
			Periodic: 5, TotalDuration: 600 * time.Millisecond, MaxDuration: 180 * time.Millisecond, MaxBytes: 4 << 20, LastFailure: "checkpoint 4 expired"},
		Exceptions: []Exception{{Time: b.now.Add(-time.Minute), Operator: "HopWindowAggregate", Subtask: 1, Message: "restarting: journal connection reset", Cause: "io: reset"}}}
	if id == "q1" {
		ji.SQL = "SELECT k, SUM(v) AS v FROM orders GROUP BY k;"
		ji.Columns = []Column{{Name: "k", Type: "STRING"}, {Name: "v", Type: "BIGINT"}}
		if b.columns != nil {
			ji.Columns = b.columns
		}
		ji.View = []cluster.VertexView{
			{ID: 0, Name: "Source: orders", Parallelism: 1, Operators: []cluster.OperatorView{{Name: "Source: orders", UID: "s", Subtasks: snap(0, 100, 0)}}},
			{ID: 1, Name: "GroupAggregate", Parallelism: 1, Inputs: []cluster.EdgeView{{From: 0, Partitioning: "HASH"}},
				Operators: []cluster.OperatorView{{Name: "GroupAggregate(k, SUM(v))", UID: "g", Subtasks: snap(100, 7, 4096)}}},
		}
		return ji, nil
	}
	ji.SQL = "INSERT INTO hot_items SELECT ..."
	ji.View = []cluster.VertexView{
		{ID: 0, Name: "Source: nexmark", Parallelism: 2, Operators: []cluster.OperatorView{
			{Name: "Source: nexmark", UID: "src", Subtasks: snap(0, 48000, 0)}, {Name: "Calc(event_type = 2)", UID: "calc", Subtasks: snap(48000, 46000, 0)}}},
		{ID: 1, Name: "HopWindowAggregate", Parallelism: 4, Inputs: []cluster.EdgeView{{From: 0, Partitioning: "HASH"}},
			Operators: []cluster.OperatorView{{Name: "HopWindowAggregate(auction)", UID: "agg", Subtasks: snap(46000, 900, 1<<20)}}},
		{ID: 2, Name: "Sink: hot_items", Parallelism: 1, Inputs: []cluster.EdgeView{{From: 1, Partitioning: "REBALANCE"}},
			Operators: []cluster.OperatorView{{Name: "Sink: hot_items", UID: "sink", Subtasks: snap(900, 0, 0)}}},
	}
	return ji, nil
}

func (b *uiBackend) Submit(ctx context.Context, req SubmitRequest) (JobSummary, error) {
	b.post(fmt.Sprintf("submit %q %q %d", req.SQL, req.Name, req.Parallelism))
	if strings.Contains(req.SQL, "SELEC ") {
		return JobSummary{}, BadRequest("line 2, column 3: expected a statement, found \"SELEC\"")
	}
	return b.summary("q1"), nil
}

func (b *uiBackend) Cancel(ctx context.Context, id string) (JobSummary, error) {
	b.post("cancel " + id)
	s := b.summary(id)
	s.State = StateCancelled
	return s, nil
}

func (b *uiBackend) Savepoint(ctx context.Context, id string, req SavepointRequest) (SavepointInfo, error) {
	b.post(fmt.Sprintf("savepoint %s %s %v", id, req.Name, req.Stop))
	return SavepointInfo{Name: req.Name, Job: id, CheckpointID: 7, Bytes: 3 << 20, Time: b.now, Stopped: req.Stop}, nil
}

func (b *uiBackend) Savepoints() ([]SavepointInfo, error) { return nil, nil }

func (b *uiBackend) Feed(id string) (*Feed, error) {
	if id != "q1" {
		return nil, Conflict("job %s is not a query", id)
	}
	return b.results, nil
}

func (b *uiBackend) Events() *Feed { return b.events }

func TestDashboardRealServer(t *testing.T) {
	bin := uiChromium(t)
	if testing.Short() {
		t.Skip("-short: no browser")
	}
	const token, readOnly = "tok-rw-0123456789", "tok-ro-0123456789"
	// serveWith serves q1 with the given result columns and rows (JSON
	// objects, each an insert); serve, with the fake changelog of k, v.
	serveWith := func(t *testing.T, columns []Column, rows []string) (string, *uiBackend) {
		b := &uiBackend{now: time.Now(), events: NewFeed(0, 0), results: NewFeed(0, 0), posts: make(chan string, 16), columns: columns}
		b.events.Publish([]byte(`{"type":"job","id":"j1","state":"running"}`))
		// Headless Chromium's virtual clock stands still while a response
		// is open: the event stream ends (the page then polls), as the
		// results feed of a finished query does.
		b.events.Close([]byte(`{"end":"shutdown"}`))
		if rows != nil {
			for _, r := range rows {
				b.results.Publish([]byte(`{"op":"+I","row":` + r + `}`))
			}
		} else {
			for _, c := range uiFakeChangelog {
				b.results.Publish([]byte(fmt.Sprintf(`{"op":%q,"row":{"k":%q,"v":%d}}`, c.op, c.k, c.v)))
			}
		}
		b.results.Close([]byte(`{"end":"finished"}`))
		ws, err := New(Config{Addr: "127.0.0.1:0", Token: token, ReadOnlyToken: readOnly, UI: UIHandler(),
			Tick: 300 * time.Millisecond, Heartbeat: time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, b)
		if err != nil {
			t.Fatal(err)
		}
		// The harness page (with the session cookie, as after the login)
		// in front of the real server.
		mux := http.NewServeMux()
		fake := (&uiFakeAPI{}).handler()
		mux.HandleFunc("GET /harness.html", func(w http.ResponseWriter, r *http.Request) {
			http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			fake.ServeHTTP(w, r)
		})
		mux.Handle("GET /harness.js", fake)
		mux.Handle("/", ws)
		srv := httptest.NewServer(mux)
		t.Cleanup(func() { ws.Shutdown(); srv.Close() })
		return srv.URL, b
	}
	serve := func(t *testing.T) (string, *uiBackend) { return serveWith(t, nil, nil) }

	t.Run("job page", func(t *testing.T) {
		url, _ := serve(t)
		dom := uiRunChromium(t, bin, url+"/?token="+token+"#/jobs/j1", "--dump-dom")
		uiMustContain(t, "real job page", dom, `id="job-name">nexmark-hot-items</h1>`, `class="badge running"`,
			`data-vertex="0"`, `data-vertex="2"`, `>HopWindowAggregate<`, `>Calc(event_type = 2)<`, `>HASH<`, `>REBALANCE<`,
			`restarting: journal connection reset`, `data-mode="polling"`, `id="version" class="muted small">v0.9.0-real (go1.26)<`, `class="uplot`)
		vt := uiRows(dom, "vertex-table")
		if len(vt) != 3 || vt[0][4] != "0" || vt[0][5] != "46,000" || vt[1][4] != "46,000" || vt[1][9] != "1.0 MiB" {
			t.Errorf("vertex rows (records in/out of the chain's head/tail, state): %q", vt)
		}
		ck := uiRows(dom, "checkpoint-table")
		if len(ck) != 1 || len(ck[0]) < 7 || ck[0][0] != "#6" || ck[0][1] != "120 ms" || ck[0][6] != "checkpoint 4 expired" {
			t.Errorf("checkpoint summary: %q", ck)
		}
		if strings.Contains(dom, `id="auth" class="auth">`) {
			t.Error("the sign-in screen is shown")
		}
		if !strings.Contains(dom, `id="job-results" hidden=""`) {
			t.Error("a results card on a job that is no query (columns: [])")
		}
	})

	t.Run("query results", func(t *testing.T) {
		url, _ := serve(t)
		dom := uiRunChromium(t, bin, url+"/?token="+token+"#/jobs/q1", "--dump-dom")
		if rows := uiRows(dom, "results-table"); fmt.Sprint(rows) != fmt.Sprint([][]string{{"a", "4"}, {"c", "3"}, {"d", "5"}}) {
			t.Errorf("result rows %q", rows)
		}
		uiMustContain(t, "real results", dom, `id="result-count">3</b>`, `<span class="live-dot off"></span> ended`)
	})

	t.Run("query timestamps", func(t *testing.T) {
		// As strom sql prints them: a TIMESTAMP as its UTC reading, a
		// TIMESTAMP_LTZ in the session zone of its column (Berlin across
		// the start of summer time on 2024-03-31 at 01:00 UTC, a fixed
		// offset), the fraction padded to the type's precision as Flink's
		// SQL client (TIMESTAMP(3) ".000", TIMESTAMP(0) none).
		cols := []Column{{Name: "t", Type: "TIMESTAMP(3)"}, {Name: "b", Type: "TIMESTAMP_LTZ(3) *ROWTIME*", Zone: "Europe/Berlin"},
			{Name: "g", Type: "TIMESTAMP_LTZ(3)", Zone: "GMT+05:30"}, {Name: "u", Type: "TIMESTAMP(6)"}, {Name: "n", Type: "BIGINT"},
			{Name: "z", Type: "TIMESTAMP(0) NOT NULL"}}
		url, _ := serveWith(t, cols, []string{
			`{"t":1711846799000,"b":1711846799000,"g":1711846799000,"u":1711846799000.25,"n":1711846799000,"z":1711846799000}`,
			`{"t":1711846800123,"b":1711846800123,"g":-1,"u":1711846800123.456,"n":null,"z":1711846800000}`,
		})
		dom := uiRunChromium(t, bin, url+"/?token="+token+"#/jobs/q1", "--dump-dom")
		want := [][]string{
			{"2024-03-31 00:59:59.000", "2024-03-31 01:59:59.000", "2024-03-31 06:29:59.000", "2024-03-31 00:59:59.000250", "1711846799000", "2024-03-31 00:59:59"},
			{"2024-03-31 01:00:00.123", "2024-03-31 03:00:00.123", "1970-01-01 05:29:59.999", "2024-03-31 01:00:00.123456", "NULL", "2024-03-31 01:00:00"},
		}
		if rows := uiRows(dom, "results-table"); fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Errorf("result rows\n got %q\nwant %q", rows, want)
		}
	})

	t.Run("job list", func(t *testing.T) {
		url, _ := serve(t)
		dom := uiRunChromium(t, bin, url+"/?token="+token, "--dump-dom")
		if rows := uiRows(dom, "jobs-table"); len(rows) != 2 {
			t.Errorf("job rows %q", rows)
		}
		uiMustContain(t, "real list", dom, `>nexmark-hot-items</a>`, `>totals-by-key</a>`)
	})

	t.Run("SQL submit", func(t *testing.T) {
		url, b := serve(t)
		sql := "SELECT k, SUM(v) AS v\nFROM orders GROUP BY k;"
		dom := uiRunChromium(t, bin, url+"/harness.html?do=sql&sql="+neturl.QueryEscape(sql)+"#/sql", "--dump-dom")
		if got := fmt.Sprint(drainPosts(b.posts)); got != fmt.Sprint([]string{fmt.Sprintf("submit %q %q %d", sql, "", 1)}) {
			t.Errorf("submits %s", got)
		}
		if rows := uiRows(dom, "results-table"); fmt.Sprint(rows) != fmt.Sprint([][]string{{"a", "4"}, {"c", "3"}, {"d", "5"}}) {
			t.Errorf("result rows %q", rows)
		}
	})

	t.Run("SQL error", func(t *testing.T) {
		url, _ := serve(t)
		sql := "CREATE VIEW v AS\n  SELEC 1;"
		dom := uiRunChromium(t, bin, url+"/harness.html?do=sql&sql="+neturl.QueryEscape(sql)+"#/sql", "--dump-dom")
		uiMustContain(t, "real SQL error", dom, `<span class="where">line 2, column 3: </span>expected a statement, found "SELEC"`)
	})

	t.Run("screenshot", func(t *testing.T) {
		url, _ := serve(t)
		file := filepath.Join(t.TempDir(), "real.png")
		if *uiScreenshot != "" {
			file = strings.TrimSuffix(*uiScreenshot, ".png") + "-real.png"
		}
		uiRunChromium(t, bin, url+"/?token="+token+"#/jobs/j1", "--screenshot="+file)
		uiCheckScreenshot(t, file)
	})

	t.Run("cancel and savepoint", func(t *testing.T) {
		url, b := serve(t)
		uiRunChromium(t, bin, url+"/harness.html?do=cancel#/jobs/j1", "--dump-dom", "--virtual-time-budget=2500")
		uiRunChromium(t, bin, url+"/harness.html?do=savepoint#/jobs/j1", "--dump-dom", "--virtual-time-budget=2500")
		got := drainPosts(b.posts)
		if len(got) != 2 || got[0] != "cancel j1" || !regexp.MustCompile(`^savepoint j1 nexmark-hot-items-\d{8}-\d{6} true$`).MatchString(got[1]) {
			t.Errorf("writes through the real router (cookie, same origin): %q", got)
		}
	})
}

func drainPosts(c chan string) []string {
	var out []string
	for {
		select {
		case s := <-c:
			out = append(out, s)
		default:
			return out
		}
	}
}
