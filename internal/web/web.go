// Package web is the HTTP layer of `strom server`: the route table, token
// auth (a read-write and a read-only bearer token, the dashboard's cookie
// login), limits (body size, header and idle timeouts), JSON errors without
// stacks, TLS (min 1.2, optional client certificates), the bind rules, and
// the live feeds of query results over SSE and WebSocket. It reads the
// engine through Backend (implemented by internal/server) and the cluster's
// view types, never the tasks. RELIABILITY.md S1–S8 are its tests.
package web

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures the HTTP server.
type Config struct {
	// Addr is the listen address (default 127.0.0.1:8081).
	Addr string
	// Token is the read-write bearer token, ReadOnlyToken the token of
	// the read routes only (both required).
	Token, ReadOnlyToken string
	// TLSCertFile and TLSKeyFile turn on TLS (min version 1.2);
	// ClientCAFile also requires client certificates signed by it.
	TLSCertFile, TLSKeyFile, ClientCAFile string
	// InsecureBind allows a non-loopback address without TLS (logged as a
	// warning on every start).
	InsecureBind bool
	// Timeouts (defaults: 5 s header, 30 s read, 60 s write, 120 s idle).
	// WriteTimeout does not apply to the streaming routes (SSE, WebSocket);
	// StreamWriteTimeout bounds their single writes instead.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxBodyBytes bounds request bodies (default 1 MiB; 413 above).
	MaxBodyBytes int64
	// Heartbeat is the interval of SSE comments and WebSocket pings on
	// idle streams (default 15 s); Tick the interval of the metrics events
	// of /api/v1/events (default 1 s).
	Heartbeat, Tick time.Duration
	// StreamWriteTimeout bounds each write (and flush) of an SSE stream
	// (default 10 s): a client that stops reading is dropped and gives its
	// stream slot back.
	StreamWriteTimeout time.Duration
	// MaxInFlight bounds the requests served at once, MaxStreams the open
	// SSE and WebSocket streams (defaults 256 and 128; 429 above).
	MaxInFlight, MaxStreams int
	// Metrics serves GET /metrics (nil: 404).
	Metrics http.Handler
	// Journal serves the journal's HTTP API under /api/v1/journal (routes
	// relative to it: /topics, /topics/{topic}/records, ...; nil: 404).
	Journal http.Handler
	// UI serves the dashboard under / (nil: 404).
	UI http.Handler
	// Logger receives request failures and warnings (default: slog's).
	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = 5 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 60 * time.Second
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 120 * time.Second
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.Tick == 0 {
		c.Tick = time.Second
	}
	if c.StreamWriteTimeout == 0 {
		c.StreamWriteTimeout = 10 * time.Second
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 256
	}
	if c.MaxStreams == 0 {
		c.MaxStreams = 128
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// DefaultAddr is the default listen address: loopback only (S1).
const DefaultAddr = "127.0.0.1:8081"

// CookieName is the dashboard's session cookie (it holds the token).
const CookieName = "strom_token"

// Route is one entry of the route table: the table is data so that the
// auth and path tests cover every route (S2, S3).
type Route struct {
	Method  string
	Pattern string // a net/http ServeMux pattern path, with {name} wildcards
	// Write routes change state: the read-only token gets 403.
	Write bool
	// Open routes need no token (/healthz only).
	Open bool
	// Stream routes are long-lived (SSE, WebSocket): no write timeout.
	Stream  bool
	handler func(w http.ResponseWriter, r *http.Request) error
}

// Server is the HTTP server of the API and the dashboard.
type Server struct {
	cfg    Config
	b      Backend
	routes []Route
	mux    *http.ServeMux
	tls    *tls.Config
	start  time.Time

	// The sampler (sample, one goroutine per server) computes every Tick
	// the figures of the running jobs; the handlers serve its latest.
	rates   rateMemo // the sampler's only
	sampled sync.Map // job id -> *jobSample
	sampler sync.WaitGroup

	inFlight, streams atomic.Int64

	stopMu sync.Mutex
	stop   chan struct{} // closed by Shutdown: streams end
}

// New returns a server of b. It checks the bind rules (CheckBind) and
// loads the TLS files.
func New(cfg Config, b Backend) (*Server, error) {
	cfg.defaults()
	if cfg.Token == "" || cfg.ReadOnlyToken == "" {
		return nil, errors.New("web: a token and a read-only token are required")
	}
	if subtle.ConstantTimeCompare([]byte(cfg.Token), []byte(cfg.ReadOnlyToken)) == 1 {
		return nil, errors.New("web: the read-only token must differ from the token")
	}
	s := &Server{cfg: cfg, b: b, mux: http.NewServeMux(), start: time.Now(), stop: make(chan struct{})}
	if cfg.TLSCertFile != "" || cfg.TLSKeyFile != "" || cfg.ClientCAFile != "" {
		tc, err := loadTLS(cfg.TLSCertFile, cfg.TLSKeyFile, cfg.ClientCAFile)
		if err != nil {
			return nil, err
		}
		s.tls = tc
	}
	if err := CheckBind(cfg.Addr, s.tls != nil, cfg.InsecureBind); err != nil {
		return nil, err
	}
	if cfg.InsecureBind && !isLoopback(cfg.Addr) && s.tls == nil {
		cfg.Logger.Warn("strom server: --insecure-bind: serving without TLS on a non-loopback address; the token travels in clear text", "addr", cfg.Addr)
	}
	s.sampler.Go(s.sample)
	s.routes = s.routeTable()
	for i := range s.routes {
		rt := &s.routes[i]
		s.mux.HandleFunc(rt.Method+" "+rt.Pattern, func(w http.ResponseWriter, r *http.Request) { s.serveRoute(rt, w, r) })
	}
	return s, nil
}

// Routes returns the route table (for tests and documentation).
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// TLSConfig is the server's TLS configuration (nil: plain HTTP).
func (s *Server) TLSConfig() *tls.Config { return s.tls }

func loadTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("web: TLS needs both --tls-cert and --tls-key (and --client-ca only with them)")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("web: load the TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("web: read the client CA %s: %w", caFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("web: %s holds no PEM certificate", caFile)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// CheckBind applies the bind rules (S1): a loopback address is always
// allowed; any other one needs TLS (the token is always on), or
// insecure (--insecure-bind).
func CheckBind(addr string, tlsOn, insecure bool) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("web: listen address %q: %v (expected host:port, e.g. %s)", addr, err, DefaultAddr)
	}
	if isLoopback(addr) || tlsOn || insecure {
		return nil
	}
	return fmt.Errorf("web: refusing to listen on %s, a non-loopback address, without TLS: the token would travel in clear text; "+
		"give --tls-cert and --tls-key, or listen on 127.0.0.1, or pass --insecure-bind to accept the risk", addr)
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listen opens the listener of cfg.Addr (TLS when configured).
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("web: listen on %s: %w (is another server running? choose another --addr)", s.cfg.Addr, err)
	}
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	return ln, nil
}

// HTTPServer returns the http.Server with the limits of cfg.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		// WriteTimeout is set per request (not on streams).
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
}

// Serve serves ln until ctx is done, then shuts down: streams end, other
// requests get up to 5 s to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := s.HTTPServer()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.Shutdown()
		return err
	case <-ctx.Done():
	}
	s.Shutdown()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		_ = hs.Close()
	}
	<-errc
	return err
}

// Shutdown ends the streams being served (their handlers return) and
// the metrics sampler, and waits for the sampler.
func (s *Server) Shutdown() {
	s.stopMu.Lock()
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.stopMu.Unlock()
	s.sampler.Wait()
}

// Error is an error with its HTTP status and code; handlers and the
// Backend return it for anything but an internal failure.
type Error struct {
	Status int
	Code   string
	Msg    string
	// Line and Column locate a SQL error in the submitted text (1-based;
	// 0: none).
	Line, Column int
}

func (e *Error) Error() string { return e.Msg }

// Errorf returns an *Error.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// NotFound, BadRequest and Conflict are the common errors of a Backend.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, "not_found", format, args...)
}

// BadRequest is a 400 error.
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "bad_request", format, args...)
}

// Conflict is a 409 error.
func Conflict(format string, args ...any) *Error {
	return Errorf(http.StatusConflict, "conflict", format, args...)
}

// writeError writes err as JSON {"error","code"}; an error that is not
// an *Error is internal: logged, and answered without its text.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			e = Errorf(http.StatusRequestEntityTooLarge, "too_large", "the request body is larger than %d bytes", mb.Limit)
		} else {
			s.cfg.Logger.Error("strom server: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
			e = Errorf(http.StatusInternalServerError, "internal", "internal error (see the server's log)")
		}
	}
	if e.Line > 0 {
		writeJSON(w, e.Status, map[string]any{"error": e.Msg, "code": e.Code, "line": e.Line, "column": e.Column})
		return
	}
	writeJSON(w, e.Status, map[string]string{"error": e.Msg, "code": e.Code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error: response not encodable","code":"internal"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

type role int

const (
	roleNone role = iota
	roleRead
	roleWrite
)

// authenticate returns the role of r's token and whether it came from the
// cookie alone.
func (s *Server) authenticate(r *http.Request) (role, bool) {
	tok, cookie := "", false
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			tok = strings.TrimSpace(t)
		}
	} else if c, err := r.Cookie(CookieName); err == nil {
		tok, cookie = c.Value, true
	}
	return s.roleOf(tok), cookie
}

// roleOf compares tok with both tokens in constant time.
func (s *Server) roleOf(tok string) role {
	w := subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token))
	ro := subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.ReadOnlyToken))
	switch {
	case tok == "":
		return roleNone
	case w == 1:
		return roleWrite
	case ro == 1:
		return roleRead
	}
	return roleNone
}

// sameOrigin reports whether a browser request comes from the server's
// own pages (Sec-Fetch-Site, else Origin against Host).
func sameOrigin(r *http.Request) bool {
	if sfs := r.Header.Get("Sec-Fetch-Site"); sfs != "" {
		return sfs == "same-origin"
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	o = strings.TrimPrefix(strings.TrimPrefix(o, "https://"), "http://")
	return o == r.Host
}

// badPath reports raw paths the API never serves: dot segments, encoded
// slashes, dots or backslashes, NUL, empty segments (S3).
func badPath(raw string) bool {
	l := strings.ToLower(raw)
	for _, bad := range []string{"/../", "/./", "%2e", "%2f", "%5c", "\\", "%00", "\x00", "//", "%25"} {
		if strings.Contains(l, bad) {
			return true
		}
	}
	return strings.HasSuffix(l, "/..") || strings.HasSuffix(l, "/.")
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidName reports whether s may name a job or a savepoint: letters,
// digits, '.', '_' and '-', 1 to 64 of them, not "." or "..".
func ValidName(s string) bool {
	return idRE.MatchString(s) && s != "." && s != ".."
}

// ServeHTTP is the middleware chain: recover, open routes, path checks,
// auth (401), route lookup (404/405), write permission (403), same-origin
// for cookie writes, body limit, timeouts.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.cfg.Logger.Error("strom server: panic in a handler", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
			s.writeError(w, r, Errorf(http.StatusInternalServerError, "internal", "internal error (see the server's log)"))
		}
	}()
	// Every answer gets the write timeout; streams lift it below.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	h := w.Header()
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path == "/healthz" {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	if badPath(r.URL.EscapedPath()) || badPath(r.URL.RawQuery) || strings.ContainsRune(r.URL.Path, 0) {
		s.writeError(w, r, BadRequest("invalid path %q: no dot segments, encoded slashes or NUL", r.URL.EscapedPath()))
		return
	}
	// The dashboard login: /?token=... becomes the cookie.
	if r.Method == http.MethodGet && r.URL.Path == "/" && r.URL.Query().Has("token") {
		s.login(w, r)
		return
	}
	rl, cookie := s.authenticate(r)
	if rl == roleNone {
		h.Set("WWW-Authenticate", `Bearer realm="strom"`)
		if r.Method == http.MethodGet && wantsHTML(r) {
			signInPage(w, http.StatusUnauthorized, "This page needs the dashboard's login link: open the URL that <code>strom server</code> (or <code>strom demo</code>) printed when it started (it ends in <code>/?token=…</code>).")
			return
		}
		s.writeError(w, r, Errorf(http.StatusUnauthorized, "unauthorized",
			"missing or wrong token: send 'Authorization: Bearer <token>' (the token is in the server's data directory, file token)"))
		return
	}
	_, pattern := s.mux.Handler(r)
	if pattern == "" {
		s.writeError(w, r, s.noRoute(r))
		return
	}
	var rt *Route
	for i := range s.routes {
		if s.routes[i].Method+" "+s.routes[i].Pattern == pattern {
			rt = &s.routes[i]
		}
	}
	if rt != nil && rt.Write {
		if rl != roleWrite {
			s.writeError(w, r, Errorf(http.StatusForbidden, "forbidden", "the read-only token cannot %s %s", r.Method, r.URL.Path))
			return
		}
		if cookie && !sameOrigin(r) {
			s.writeError(w, r, Errorf(http.StatusForbidden, "cross_origin", "a state-changing request with the session cookie must come from the dashboard's own origin"))
			return
		}
	}
	limit, ctr := s.cfg.MaxInFlight, &s.inFlight
	if rt != nil && rt.Stream {
		limit, ctr = s.cfg.MaxStreams, &s.streams
	}
	if n := ctr.Add(1); n > int64(limit) {
		ctr.Add(-1)
		h.Set("Retry-After", "1")
		s.writeError(w, r, Errorf(http.StatusTooManyRequests, "too_many_requests", "the server is serving %d requests of this kind; try again later", limit))
		return
	}
	defer ctr.Add(-1)
	if rt != nil && rt.Write {
		// The audit log of state-changing calls: who, what, when, result.
		aw := &auditWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			who := "token"
			if cookie {
				who = "cookie"
			}
			s.cfg.Logger.Info("strom server: audit", "method", r.Method, "path", r.URL.Path, "auth", who,
				"remote", r.RemoteAddr, "status", aw.status, "time", time.Now().UTC().Format(time.RFC3339Nano))
		}()
		w = aw
	}
	rc := http.NewResponseController(w)
	if rt != nil && rt.Stream {
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		s.writeError(w, r, Errorf(http.StatusRequestEntityTooLarge, "too_large", "the request body is larger than %d bytes", s.cfg.MaxBodyBytes))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	s.mux.ServeHTTP(w, r)
}

// wantsHTML reports whether a request is a browser's navigation (it
// accepts text/html).
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// signInPage answers a browser with a small page (msg is trusted HTML)
// instead of the JSON error.
func signInPage(w http.ResponseWriter, status int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>strom: sign in</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}code{background:#eee;padding:0 .3em;border-radius:3px}</style>
</head><body><h1>strom</h1><p>`+msg+`</p></body></html>
`)
}

// noRoute is 405 when the path has a route for another method, else 404.
func (s *Server) noRoute(r *http.Request) error {
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if m == r.Method {
			continue
		}
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, p := s.mux.Handler(r2); p != "" {
			return Errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s (use %s)", r.Method, r.URL.Path, m)
		}
	}
	return NotFound("no route %s %s (the API is under /api/v1)", r.Method, r.URL.Path)
}

// login exchanges /?token=... for an HttpOnly SameSite=Strict cookie and
// redirects to / so the token leaves the address bar.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	if s.roleOf(tok) == roleNone {
		if wantsHTML(r) {
			signInPage(w, http.StatusUnauthorized, "The token in this link is wrong: open the URL that <code>strom server</code> printed when it started (the token is in the server's data directory, file <code>token</code>).")
			return
		}
		s.writeError(w, r, Errorf(http.StatusUnauthorized, "unauthorized", "wrong token in the login link: use the URL that 'strom server' printed"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 30 * 24 * 3600})
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Location", "/")
	w.WriteHeader(http.StatusSeeOther)
}

// serveRoute runs the route's handler and writes its error.
func (s *Server) serveRoute(rt *Route, w http.ResponseWriter, r *http.Request) {
	for _, name := range []string{"id", "name", "topic", "p", "file"} {
		if v := r.PathValue(name); v != "" && !ValidName(v) {
			s.writeError(w, r, BadRequest("invalid %s %q: use letters, digits, '.', '_' and '-' (at most 64)", name, v))
			return
		}
	}
	if err := rt.handler(w, r); err != nil {
		s.writeError(w, r, err)
	}
}

// auditWriter records the status of a state-changing call.
type auditWriter struct {
	http.ResponseWriter
	status int
}

func (a *auditWriter) WriteHeader(code int) {
	a.status = code
	a.ResponseWriter.WriteHeader(code)
}

func (a *auditWriter) Unwrap() http.ResponseWriter { return a.ResponseWriter }
