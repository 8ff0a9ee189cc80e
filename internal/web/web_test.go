package web

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const (
	testToken   = "write-token-0123456789abcdef"
	testROToken = "read-token-0123456789abcdef"
)

// fakeBackend serves job "j1"; "boom" fails with an internal error and
// "panic" panics.
type fakeBackend struct {
	feed, events *Feed
}

func newFake() *fakeBackend {
	f := &fakeBackend{feed: NewFeed(8, 0), events: NewFeed(8, 0)}
	return f
}

func (f *fakeBackend) Overview() Overview {
	return Overview{Version: "test", Jobs: map[string]int{}, Config: map[string]string{"token": "<redacted>"}}
}
func (f *fakeBackend) Jobs() []JobSummary {
	return []JobSummary{{ID: "j1", Name: "x", State: StateRunning}}
}
func (f *fakeBackend) Job(id string) (JobInfo, error) {
	switch id {
	case "j1":
		return JobInfo{JobSummary: JobSummary{ID: "j1", State: StateRunning}}, nil
	case "boom":
		return JobInfo{}, errors.New("secret internal detail /var/lib/x.go:12")
	case "panic":
		panic("secret panic detail")
	}
	return JobInfo{}, NotFound("no job %q", id)
}
func (f *fakeBackend) Submit(ctx context.Context, req SubmitRequest) (JobSummary, error) {
	if req.SQL == "" {
		return JobSummary{}, BadRequest("no sql")
	}
	return JobSummary{ID: "j2", State: StateRunning}, nil
}
func (f *fakeBackend) Cancel(ctx context.Context, id string) (JobSummary, error) {
	if _, err := f.Job(id); err != nil {
		return JobSummary{}, err
	}
	return JobSummary{ID: id, State: StateCancelled}, nil
}
func (f *fakeBackend) Savepoint(ctx context.Context, id string, req SavepointRequest) (SavepointInfo, error) {
	if _, err := f.Job(id); err != nil {
		return SavepointInfo{}, err
	}
	return SavepointInfo{Name: req.Name, Job: id}, nil
}
func (f *fakeBackend) Savepoints() ([]SavepointInfo, error) { return nil, nil }
func (f *fakeBackend) Feed(id string) (*Feed, error) {
	if id != "j1" {
		return nil, NotFound("no job %q", id)
	}
	return f.feed, nil
}
func (f *fakeBackend) Events() *Feed { return f.events }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestServer(t testing.TB, mod func(*Config)) (*Server, *fakeBackend) {
	t.Helper()
	b := newFake()
	cfg := Config{Addr: "127.0.0.1:0", Token: testToken, ReadOnlyToken: testROToken, Logger: quietLogger(),
		Journal: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]string{"path": r.URL.Path})
		})}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	return s, b
}

// pathOf fills a route's wildcards.
func pathOf(rt Route, id string) string {
	p := strings.ReplaceAll(rt.Pattern, "{id}", id)
	p = strings.ReplaceAll(p, "{file}", "app.js")
	p = strings.ReplaceAll(p, "{path...}", "app.js")
	p = strings.ReplaceAll(p, "{topic}", "t1")
	p = strings.ReplaceAll(p, "{p}", "0")
	return strings.ReplaceAll(p, "{$}", "")
}

func do(s http.Handler, method, target, token string, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://127.0.0.1:8081/", strings.NewReader(body))
	u, err := url.ParseRequestURI(target)
	if err != nil {
		panic(err)
	}
	r.URL = u
	r.RequestURI = target
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func bodyOf(rt Route) string {
	switch {
	case strings.HasSuffix(rt.Pattern, "/savepoint"):
		return `{"name":"sp1"}`
	case rt.Method == "POST":
		return `{"sql":"SELECT 1"}`
	}
	return ""
}

// S2: every route but /healthz needs a token; the read-only token gets
// 403 on writes. Table-driven over the route table: new routes are
// covered automatically.
func TestAuthEveryRoute(t *testing.T) {
	s, b := newTestServer(t, nil)
	b.feed.Close(nil)
	b.events.Close(nil)
	routes := s.Routes()
	if len(routes) < 10 {
		t.Fatalf("route table has %d routes", len(routes))
	}
	for _, rt := range routes {
		p := pathOf(rt, "j1")
		t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) {
			if rt.Open {
				if w := do(s, rt.Method, p, "", ""); w.Code != 200 {
					t.Fatalf("open route: %d", w.Code)
				}
				return
			}
			for _, tok := range []string{"", "wrong", testToken + "x", strings.ToUpper(testToken)} {
				w := do(s, rt.Method, p, tok, bodyOf(rt))
				if w.Code != http.StatusUnauthorized {
					t.Fatalf("token %q: status %d, want 401", tok, w.Code)
				}
				checkJSONError(t, w, "unauthorized")
			}
			// A wrong cookie is no better.
			r := httptest.NewRequest(rt.Method, p, strings.NewReader(bodyOf(rt)))
			r.AddCookie(&http.Cookie{Name: CookieName, Value: "nope"})
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("wrong cookie: %d", w.Code)
			}
			w = do(s, rt.Method, p, testROToken, bodyOf(rt))
			if rt.Write {
				if w.Code != http.StatusForbidden {
					t.Fatalf("read-only token on a write route: %d, want 403", w.Code)
				}
				checkJSONError(t, w, "forbidden")
				if w := do(s, rt.Method, p, testToken, bodyOf(rt)); w.Code >= 400 {
					t.Fatalf("write token: %d %s", w.Code, w.Body)
				}
			} else if w.Code == http.StatusUnauthorized || w.Code == http.StatusForbidden {
				t.Fatalf("read-only token on a read route: %d", w.Code)
			}
		})
	}
	// Unknown routes answer 401 without a token too (no route discovery).
	if w := do(s, "GET", "/api/v1/nope", "", ""); w.Code != 401 {
		t.Fatalf("unknown route without token: %d", w.Code)
	}
	if w := do(s, "GET", "/api/v1/nope", testToken, ""); w.Code != 404 {
		t.Fatalf("unknown route: %d", w.Code)
	}
	if w := do(s, "DELETE", "/api/v1/jobs", testToken, ""); w.Code != 405 {
		t.Fatalf("wrong method: %d", w.Code)
	}
}

func checkJSONError(t *testing.T, w *httptest.ResponseRecorder, code string) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	var e struct{ Error, Code string }
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", w.Body, err)
	}
	if e.Error == "" || (code != "" && e.Code != code) {
		t.Fatalf("error body %q, want code %q", w.Body, code)
	}
}

// The dashboard login sets an HttpOnly SameSite=Strict cookie; writes
// with the cookie alone must be same-origin.
func TestCookieLogin(t *testing.T) {
	s, _ := newTestServer(t, nil)
	if w := do(s, "GET", "/?token=wrong", "", ""); w.Code != 401 {
		t.Fatalf("wrong login token: %d", w.Code)
	}
	w := do(s, "GET", "/?token="+testToken, "", "")
	if w.Code != http.StatusSeeOther {
		t.Fatalf("login: %d", w.Code)
	}
	cs := w.Result().Cookies()
	if len(cs) != 1 || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode || cs[0].Value != testToken {
		t.Fatalf("cookie %+v", cs)
	}
	req := func(site, origin string) int {
		r := httptest.NewRequest("POST", "/api/v1/jobs/j1/cancel", strings.NewReader(""))
		r.Host = "127.0.0.1:8081"
		r.AddCookie(cs[0])
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code
	}
	if c := req("", ""); c != 403 {
		t.Fatalf("cookie write without origin: %d", c)
	}
	if c := req("cross-site", ""); c != 403 {
		t.Fatalf("cross-site cookie write: %d", c)
	}
	if c := req("", "http://evil.example"); c != 403 {
		t.Fatalf("foreign origin: %d", c)
	}
	if c := req("same-origin", ""); c != 200 {
		t.Fatalf("same-origin cookie write: %d", c)
	}
	if c := req("", "http://127.0.0.1:8081"); c != 200 {
		t.Fatalf("own origin: %d", c)
	}
	// Reads with the cookie need no origin.
	r := httptest.NewRequest("GET", "/api/v1/jobs", nil)
	r.AddCookie(cs[0])
	rw := httptest.NewRecorder()
	s.ServeHTTP(rw, r)
	if rw.Code != 200 {
		t.Fatalf("cookie read: %d", rw.Code)
	}
}

// S3 (the HTTP layer's part; internal/server tests it against a real data
// directory with a canary): traversal variants are 400 or 404 on every
// route.
func TestPathTraversalEveryRoute(t *testing.T) {
	s, b := newTestServer(t, nil)
	b.feed.Close(nil)
	b.events.Close(nil)
	variants := []string{"..", "../../etc/passwd", "..%2f..%2fetc%2fpasswd", "..%252f..%252fetc", "%2e%2e/%2e%2e/etc",
		"%2e%2e", "/etc/passwd", "j1%00", "j1%2f..", "..\\..\\etc", "a/../../b", ".", "j1/../../.."}
	for _, rt := range s.Routes() {
		if !strings.Contains(rt.Pattern, "{") {
			continue
		}
		for _, wild := range []string{"{id}", "{file}", "{path...}", "{topic}", "{p}"} {
			if !strings.Contains(rt.Pattern, wild) {
				continue
			}
			for _, v := range variants {
				p := pathOf(Route{Pattern: strings.Replace(rt.Pattern, wild, v, 1)}, "j1")
				w := do(s, rt.Method, p, testToken, bodyOf(rt))
				if w.Code != 400 && w.Code != 404 {
					t.Errorf("%s %s: status %d, want 400 or 404", rt.Method, p, w.Code)
				}
			}
		}
	}
}

// S4: bodies above 1 MiB get 413.
func TestBodyLimit(t *testing.T) {
	s, _ := newTestServer(t, nil)
	big := `{"sql":"` + strings.Repeat("x", 2<<20) + `"}`
	if w := do(s, "POST", "/api/v1/jobs", testToken, big); w.Code != 413 {
		t.Fatalf("2 MiB body: %d", w.Code)
	}
	// Without a Content-Length (chunked), the reader stops at the limit.
	r := httptest.NewRequest("POST", "/api/v1/jobs", io.MultiReader(strings.NewReader(big)))
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer "+testToken)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 413 {
		t.Fatalf("chunked 2 MiB body: %d %s", w.Code, w.Body)
	}
	checkJSONError(t, w, "too_large")
}

func serve(t *testing.T, s *Server) (addr string) {
	t.Helper()
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return ln.Addr().String()
}

// S4: a slowloris trickling its headers is closed by ReadHeaderTimeout:
// within a generous multiple of the configured timeout, not merely at some
// point (a server that ignored the setting would pass a loose bound).
func TestSlowlorisClosed(t *testing.T) {
	const timeout = 200 * time.Millisecond
	s, _ := newTestServer(t, func(c *Config) { c.ReadHeaderTimeout = timeout })
	addr := serve(t, s)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")); err != nil {
		t.Fatal(err)
	}
	// The server must close within 5x its ReadHeaderTimeout (the factor is the
	// scheduling slack); the default timeout (5 s) or none at all fails here.
	_ = c.SetReadDeadline(time.Now().Add(5 * timeout))
	buf := make([]byte, 512)
	for {
		n, err := c.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the server kept the slow connection open past 5x ReadHeaderTimeout (%v)", timeout)
			}
			return
		}
		if n > 0 && bytes.Contains(buf[:n], []byte("200 OK")) {
			t.Fatal("the server answered an incomplete request")
		}
	}
}

// S5: internal errors and panics are JSON without details or stacks.
func TestErrorHygiene(t *testing.T) {
	s, _ := newTestServer(t, nil)
	for _, id := range []string{"boom", "panic"} {
		w := do(s, "GET", "/api/v1/jobs/"+id, testToken, "")
		if w.Code != 500 {
			t.Fatalf("%s: %d", id, w.Code)
		}
		checkJSONError(t, w, "internal")
		for _, leak := range []string{"secret", "goroutine", ".go:", "panic("} {
			if strings.Contains(w.Body.String(), leak) {
				t.Fatalf("%s: body leaks %q: %s", id, leak, w.Body)
			}
		}
	}
	w := do(s, "POST", "/api/v1/jobs", testToken, `{"sql":`)
	if w.Code != 400 {
		t.Fatalf("bad JSON: %d", w.Code)
	}
	checkJSONError(t, w, "bad_request")
	if w := do(s, "POST", "/api/v1/jobs", testToken, `{"sql":"x","class":"evil.Plugin"}`); w.Code != 400 {
		t.Fatalf("unknown field: %d", w.Code)
	}
	if w := do(s, "GET", "/api/v1/overview", testToken, ""); strings.Contains(w.Body.String(), testToken) {
		t.Fatal("overview leaks the token")
	}
}

// S1: the default address is loopback; another one needs TLS or
// --insecure-bind.
func TestBindRules(t *testing.T) {
	s, err := New(Config{Token: testToken, ReadOnlyToken: testROToken, Logger: quietLogger()}, newFake())
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.Addr != "127.0.0.1:8081" || !isLoopback(s.cfg.Addr) {
		t.Fatalf("default address %q", s.cfg.Addr)
	}
	s, _ = newTestServer(t, nil)
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		t.Fatalf("listening on %v", ip)
	}
	ln.Close()
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:8081"} {
		_, err := New(Config{Addr: addr, Token: testToken, ReadOnlyToken: testROToken, Logger: quietLogger()}, newFake())
		if err == nil || !strings.Contains(err.Error(), "non-loopback") || !strings.Contains(err.Error(), "--insecure-bind") {
			t.Fatalf("%s: %v", addr, err)
		}
	}
	if _, err := New(Config{Addr: "0.0.0.0:0", Token: testToken, ReadOnlyToken: testROToken, InsecureBind: true, Logger: quietLogger()}, newFake()); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Addr: "127.0.0.1:0", Logger: quietLogger()}, newFake()); err == nil {
		t.Fatal("no token accepted")
	}
}

type testPKI struct {
	dir                   string
	caPool                *x509.CertPool
	serverCert, serverKey string
	caFile                string
	clientCert            tls.Certificate
	clientCertFromOtherCA tls.Certificate
}

func makeCert(t *testing.T, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func newPKI(t *testing.T) *testPKI {
	p := &testPKI{dir: t.TempDir()}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caCert, caKey, caPEM, _ := makeCert(t, ca, nil, nil)
	p.caPool = x509.NewCertPool()
	p.caPool.AddCert(caCert)
	srv := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	_, _, sPEM, sKey := makeCert(t, srv, caCert, caKey)
	cl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "client"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	_, _, cPEM, cKey := makeCert(t, cl, caCert, caKey)
	var err error
	if p.clientCert, err = tls.X509KeyPair(cPEM, cKey); err != nil {
		t.Fatal(err)
	}
	// A client certificate of another CA.
	other := &x509.Certificate{SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: "other CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	oCert, oKey, _, _ := makeCert(t, other, nil, nil)
	_, _, c2PEM, c2Key := makeCert(t, cl, oCert, oKey)
	if p.clientCertFromOtherCA, err = tls.X509KeyPair(c2PEM, c2Key); err != nil {
		t.Fatal(err)
	}
	p.serverCert, p.serverKey, p.caFile = filepath.Join(p.dir, "s.pem"), filepath.Join(p.dir, "s.key"), filepath.Join(p.dir, "ca.pem")
	for name, b := range map[string][]byte{p.serverCert: sPEM, p.serverKey: sKey, p.caFile: caPEM} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func tlsGet(addr string, tc *tls.Config) (int, error) {
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 30 * time.Second}
	defer c.CloseIdleConnections()
	resp, err := c.Get("https://" + addr + "/healthz")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// S6: TLS 1.0/1.1-only clients fail; with mTLS a client certificate of
// the configured CA is required.
func TestTLS(t *testing.T) {
	p := newPKI(t)
	s, _ := newTestServer(t, func(c *Config) { c.TLSCertFile, c.TLSKeyFile = p.serverCert, p.serverKey })
	addr := serve(t, s)
	if code, err := tlsGet(addr, &tls.Config{RootCAs: p.caPool}); err != nil || code != 200 {
		t.Fatalf("TLS 1.2+: %d %v", code, err)
	}
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		if _, err := tlsGet(addr, &tls.Config{RootCAs: p.caPool, MinVersion: v, MaxVersion: v}); err == nil {
			t.Fatalf("a TLS %x-only client connected", v)
		}
	}
	m, _ := newTestServer(t, func(c *Config) {
		c.TLSCertFile, c.TLSKeyFile, c.ClientCAFile = p.serverCert, p.serverKey, p.caFile
	})
	maddr := serve(t, m)
	if _, err := tlsGet(maddr, &tls.Config{RootCAs: p.caPool}); err == nil {
		t.Fatal("mTLS: a client without a certificate connected")
	}
	if _, err := tlsGet(maddr, &tls.Config{RootCAs: p.caPool, Certificates: []tls.Certificate{p.clientCertFromOtherCA}}); err == nil {
		t.Fatal("mTLS: a client certificate of another CA was accepted")
	}
	if code, err := tlsGet(maddr, &tls.Config{RootCAs: p.caPool, Certificates: []tls.Certificate{p.clientCert}}); err != nil || code != 200 {
		t.Fatalf("mTLS with a client certificate: %d %v", code, err)
	}
	// TLS on a non-loopback address is allowed.
	if _, err := New(Config{Addr: "0.0.0.0:0", Token: testToken, ReadOnlyToken: testROToken, TLSCertFile: p.serverCert, TLSKeyFile: p.serverKey, Logger: quietLogger()}, newFake()); err != nil {
		t.Fatal(err)
	}
}

// The SSE stream: ids are sequence numbers, Last-Event-ID resumes, a
// reader behind the ring is told the gap, the end is an event.
func TestResultsSSE(t *testing.T) {
	s, b := newTestServer(t, nil)
	for i := 0; i < 12; i++ { // the ring holds 8: 1..4 are gone
		b.feed.Publish([]byte(`{"op":"+I","row":{"n":` + string(rune('a'+i)) + `}}`))
	}
	b.feed.Close([]byte(`{"end":"finished"}`))
	w := do(s, "GET", "/api/v1/jobs/j1/results", testToken, "")
	if ct := w.Header().Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	ev := parseSSE(t, w.Body.String())
	if ev[0].event != "gap" || ev[0].data != `{"gap":{"from":1,"to":4}}` {
		t.Fatalf("first event %+v", ev[0])
	}
	if ev[1].id != "5" || !strings.HasPrefix(ev[1].data, `{"seq":5,"op":"+I"`) {
		t.Fatalf("second event %+v", ev[1])
	}
	if last := ev[len(ev)-1]; last.event != "end" || last.data != `{"end":"finished"}` || len(ev) != 10 {
		t.Fatalf("events %+v", ev)
	}
	r := httptest.NewRequest("GET", "/api/v1/jobs/j1/results", nil)
	r.Header.Set("Authorization", "Bearer "+testToken)
	r.Header.Set("Last-Event-ID", "10")
	rw := httptest.NewRecorder()
	s.ServeHTTP(rw, r)
	ev = parseSSE(t, rw.Body.String())
	if len(ev) != 3 || ev[0].id != "11" || ev[1].id != "12" {
		t.Fatalf("resumed events %+v", ev)
	}
}

type sseEvent struct{ id, event, data string }

func parseSSE(t *testing.T, s string) []sseEvent {
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur != (sseEvent{}) {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			cur.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[6:]
		}
	}
	return out
}

func TestFeed(t *testing.T) {
	f := NewFeed(4, 0)
	if b := f.Poll(0, 10); !b.Empty() || b.Next != 1 {
		t.Fatalf("empty feed: %+v", b)
	}
	ch := f.Wait(1)
	f.Publish([]byte(`{"a":1}`))
	<-ch // woken
	b := f.Poll(1, 10)
	if len(b.Messages) != 1 || string(b.Messages[0]) != `{"seq":1,"a":1}` || b.Next != 2 {
		t.Fatalf("%+v", b)
	}
	for i := 0; i < 10; i++ {
		f.Publish([]byte(`{}`))
	}
	b = f.Poll(2, 10)
	if b.Gap == nil || b.Gap.From != 2 || b.Gap.To != 7 || len(b.Messages) != 4 || b.Next != 12 {
		t.Fatalf("gap: %+v", b)
	}
	// The byte budget drops old messages too.
	g := NewFeed(100, 64)
	for i := 0; i < 20; i++ {
		g.Publish([]byte(`{"x":"0123456789"}`))
	}
	if b := g.Poll(1, 100); b.Gap == nil || len(b.Messages) > 3 {
		t.Fatalf("byte budget: gap %+v, %d messages", b.Gap, len(b.Messages))
	}
	f.Close([]byte(`{"end":1}`))
	if f.Publish([]byte(`{}`)) != 0 {
		t.Fatal("publish after close")
	}
	ctx := context.Background()
	b, err := f.Read(ctx, 12, 10)
	if err != nil || !b.Ended || string(b.Final) != `{"end":1}` {
		t.Fatalf("%+v %v", b, err)
	}
}

// S7: fuzz the router and handlers over method, path and body: no panic
// and no 5xx caused by the client's input.
func FuzzRouter(f *testing.F) {
	s, b := newTestServer(f, nil)
	b.feed.Close(nil)
	b.events.Close(nil)
	f.Add("GET", "/api/v1/jobs", "")
	f.Add("POST", "/api/v1/jobs", `{"sql":"SELECT 1"}`)
	f.Add("POST", "/api/v1/jobs/j1/savepoint", `{"name":"a","stop":true}`)
	f.Add("GET", "/api/v1/jobs/..%2f/metrics", "")
	f.Add("GET", "/api/v1/jobs/j1/results?after=3", "")
	f.Add("PUT", "/ui/../../etc/passwd", "\x00")
	f.Fuzz(func(t *testing.T, method, path, body string) {
		u, err := url.ParseRequestURI(path)
		if err != nil || !validMethod(method) {
			return
		}
		if strings.Contains(path, "boom") || strings.Contains(path, "panic") {
			return // the fake backend's forced internal errors
		}
		r := httptest.NewRequest("GET", "/", strings.NewReader(body))
		r.Method, r.URL, r.RequestURI = method, u, path
		r.Header.Set("Authorization", "Bearer "+testToken)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %q %q: status %d %s", method, path, body, w.Code, w.Body)
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func authGet(t *testing.T, url, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// Streams beyond MaxStreams get 429; the events stream ticks with the
// job list.
func TestStreamLimitAndEventsTick(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.MaxStreams = 1; c.Tick = 10 * time.Millisecond })
	addr := serve(t, s)
	first := authGet(t, "http://"+addr+"/api/v1/events", testROToken)
	defer first.Body.Close()
	if first.StatusCode != 200 {
		t.Fatalf("first stream: %d", first.StatusCode)
	}
	second := authGet(t, "http://"+addr+"/api/v1/jobs/j1/results", testROToken)
	second.Body.Close()
	if second.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second stream: %d", second.StatusCode)
	}
	// One `event: job` per job at the start, then per tick `event:
	// metrics` per running job and `event: jobs`.
	sc := bufio.NewScanner(first.Body)
	var events []string
	for sc.Scan() {
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			events = append(events, e)
			if !sc.Scan() || !strings.Contains(sc.Text(), `"j1"`) {
				t.Fatalf("%s data %q", e, sc.Text())
			}
			if e == "jobs" {
				break
			}
		}
	}
	if strings.Join(events, ",") != "job,metrics,jobs" {
		t.Fatalf("events %v (%v)", events, sc.Err())
	}
}

// S4: many idle connections leave the server responsive.
func TestIdleConnections(t *testing.T) {
	s, _ := newTestServer(t, nil)
	addr := serve(t, s)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 300; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
}

// S2: the tokens are compared only through subtle.ConstantTimeCompare (a
// review aid: no ==, != or strings.EqualFold on them in the package).
func TestTokenComparedInConstantTime(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if !strings.Contains(line, "Token") || strings.Contains(line, "ConstantTimeCompare") {
				continue
			}
			for _, bad := range []string{"Token ==", "== s.cfg.", "Token !=", "!= s.cfg.", "EqualFold("} {
				if strings.Contains(line, bad) && !strings.Contains(line, `""`) {
					t.Errorf("%s:%d compares a token without subtle.ConstantTimeCompare: %s", f, i+1, strings.TrimSpace(line))
				}
			}
		}
	}
}

// An idle results stream gets heartbeat comments; the server's shutdown
// ends it.
func TestSSEHeartbeat(t *testing.T) {
	s, _ := newTestServer(t, func(c *Config) { c.Heartbeat = 10 * time.Millisecond })
	addr := serve(t, s)
	resp := authGet(t, "http://"+addr+"/api/v1/jobs/j1/results", testROToken)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if sc.Text() == ": heartbeat" {
			s.Shutdown()
			for sc.Scan() { // the stream ends
			}
			return
		}
	}
	t.Fatalf("no heartbeat: %v", sc.Err())
}

// A browser without a valid cookie gets 401 with a page saying how to
// sign in; API clients keep the JSON error.
func TestBrowserSignInPage(t *testing.T) {
	s, _ := newTestServer(t, nil)
	for _, target := range []string{"/", "/api/v1/jobs", "/?token=wrong"} {
		r := httptest.NewRequest("GET", target, nil)
		r.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != 401 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), "strom server") {
			t.Fatalf("%s: %d %q %q", target, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
	}
	if w := do(s, "GET", "/", "", ""); w.Code != 401 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("API client: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
}

// A client that stops reading an SSE stream is dropped after
// StreamWriteTimeout, so it gives its stream slot back: with MaxStreams 1,
// /api/v1/events opens again once the stuck reader is gone.
func TestSSEStuckReaderDropped(t *testing.T) {
	s, b := newTestServer(t, func(c *Config) {
		c.MaxStreams = 1
		c.StreamWriteTimeout = 200 * time.Millisecond
	})
	addr := serve(t, s)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.(*net.TCPConn).SetReadBuffer(4096)
	if _, err := fmt.Fprintf(c, "GET /api/v1/jobs/j1/results HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", addr, testROToken); err != nil {
		t.Fatal(err)
	}
	// The client never reads; the server writes a lot.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		msg := []byte(`{"op":"+I","row":"` + strings.Repeat("x", 256<<10) + `"}`)
		for {
			select {
			case <-stop:
				return
			default:
			}
			b.feed.Publish(msg)
			time.Sleep(time.Millisecond)
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp := authGet(t, "http://"+addr+"/api/v1/events", testROToken)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			return
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("events: %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			t.Fatal("a client that never reads still holds the only stream slot")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The same over WebSocket: a reader that takes no message within
// StreamWriteTimeout is dropped and gives its stream slot back.
func TestWSStuckReaderDropped(t *testing.T) {
	s, b := newTestServer(t, func(c *Config) {
		c.MaxStreams = 1
		c.StreamWriteTimeout = 200 * time.Millisecond
	})
	addr := serve(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, a)
		if err == nil {
			_ = c.(*net.TCPConn).SetReadBuffer(4096)
		}
		return c, err
	}}}
	c, _, err := websocket.Dial(ctx, "ws://"+addr+"/api/v1/jobs/j1/results/ws",
		&websocket.DialOptions{HTTPClient: hc, HTTPHeader: http.Header{"Authorization": {"Bearer " + testROToken}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	// The client never reads; the server writes a lot.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		msg := []byte(`{"op":"+I","row":"` + strings.Repeat("x", 256<<10) + `"}`)
		for {
			select {
			case <-stop:
				return
			default:
			}
			b.feed.Publish(msg)
			time.Sleep(time.Millisecond)
		}
	}()
	// 25 times the timeout, and half the 10 s default a hard-coded
	// timeout would drop the reader after.
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp := authGet(t, "http://"+addr+"/api/v1/events", testROToken)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			return
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("events: %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			t.Fatal("a WebSocket client that never reads still holds the only stream slot")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
