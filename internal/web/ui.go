package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// ui holds the dashboard: index.html, app.js, style.css, favicon.svg and the
// prebuilt libraries in ui/vendor (uPlot, @dagrejs/dagre; vendor/README.md
// lists their versions and licenses). There is no build step.
//
//go:embed ui
var ui embed.FS

// uiTypes is the allow-list of served extensions and their content types:
// any other file in ui (READMEs, license texts) is embedded but not served.
var uiTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// uiCSP is the Content-Security-Policy of the dashboard: scripts and
// connections only from the same origin (the API), no frames, no plugins.
// Inline styles are allowed because uPlot positions its elements with
// style attributes.
const uiCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// uiFile is one servable file, read once at start.
type uiFile struct {
	body  []byte
	ctype string
	etag  string
	cache string
}

// UIHandler serves the embedded dashboard: "/" and "/index.html" give the
// page, the other files by their path relative to the handler's root, with
// or without a leading "/ui/" (the page refers to its files as /ui/...
// and to the API as /api/v1/...: the server routes "/" and "/ui/..." here). Only GET and HEAD; no directory listings (a directory is
// 404); a path containing ".." is 400. Every response carries ETag
// (If-None-Match gives 304), X-Content-Type-Options: nosniff, a strict
// Content-Security-Policy and Referrer-Policy: no-referrer (the page is
// opened with ?token=..., which must not leak). index.html, app.js and
// style.css are revalidated on every load (Cache-Control: no-cache), so a
// new binary's dashboard shows at once; vendor files are cached for a day.
//
// The handler does no authentication: the server's router puts it behind
// the same token check as the API (the /?token= exchange for a cookie
// happens there).
func UIHandler() http.Handler {
	files := map[string]*uiFile{}
	err := fs.WalkDir(ui, "ui", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ctype, ok := uiTypes[path.Ext(p)]
		if !ok {
			return nil
		}
		body, err := ui.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		f := &uiFile{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, cache: "no-cache"}
		if strings.HasPrefix(p, "ui/vendor/") {
			f.cache = "public, max-age=86400"
		}
		files[strings.TrimPrefix(p, "ui")] = f
		return nil
	})
	if err != nil {
		panic("web: reading the embedded dashboard: " + err.Error()) // the embed is part of the binary
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveUI(files, w, r)
	})
}

func serveUI(files map[string]*uiFile, w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if strings.Contains(p, "..") || strings.Contains(r.URL.RawPath, "..") || strings.Contains(p, "\\") || strings.ContainsRune(p, 0) {
		http.Error(w, "bad path", http.StatusBadRequest)
		return
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	// The page refers to its files as /ui/...: the server routes /ui/ here.
	if rest, ok := strings.CutPrefix(p, "/ui/"); ok {
		p = "/" + rest
	}
	if p == "/" {
		p = "/index.html"
	}
	f, ok := files[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", f.cache)
	h.Set("ETag", f.etag)
	h.Set("Referrer-Policy", "no-referrer")
	if f.ctype == uiTypes[".html"] {
		h.Set("Content-Security-Policy", uiCSP)
		h.Set("X-Frame-Options", "DENY")
	}
	if uiETagMatch(r.Header.Get("If-None-Match"), f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(f.body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(f.body)
}

// uiETagMatch reports whether an If-None-Match header names etag (or "*").
func uiETagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
