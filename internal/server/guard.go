package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	"github.com/stromio/strom/connector/datagen"
	"github.com/stromio/strom/connector/file"
	jconn "github.com/stromio/strom/connector/journal"
	"github.com/stromio/strom/connector/kafka"
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/journal"
	"github.com/stromio/strom/table"
)

// DefaultFactories are the connectors of server jobs: file (and
// filesystem), kafka, nexmark, datagen, print (to out), blackhole and journal (the
// server's).
func DefaultFactories(j *journal.Journal, out io.Writer) []connector.TableFactory {
	return []connector.TableFactory{
		file.TableFactory(), file.FilesystemTableFactory(), kafka.TableFactory(), nexmark.TableFactory(), datagen.TableFactory(),
		builtin.PrintFactory(out), builtin.BlackholeFactory(), jconn.TableFactory(j),
	}
}

// factories returns the connectors of a job, each behind the checks of
// RELIABILITY S8: a 'path' option must stay inside the data directory
// (relative paths are under files/), URLs and Kafka bootstrap servers
// must name an allowed host.
// onSource, when not nil, is told of every source table the job opens
// (the journal and Kafka sources that commit offsets give the job's lag).
func (s *Server) factories(onSource func(connector string, t connector.TableContext)) []connector.TableFactory {
	mk := s.cfg.Factories
	if mk == nil {
		mk = DefaultFactories
	}
	fs := mk(s.j, s.cfg.Out)
	out := make([]connector.TableFactory, 0, len(fs))
	for _, f := range fs {
		out = append(out, s.guard(f, onSource))
	}
	return out
}

func (s *Server) guard(f connector.TableFactory, onSource func(string, connector.TableContext)) connector.TableFactory {
	g := guarded{TableFactory: f, check: s.checkOptions, onSource: onSource}
	src, isSrc := f.(connector.TableSourceFactory)
	snk, isSnk := f.(connector.TableSinkFactory)
	// The wrappers keep the optional interfaces of the factory: a
	// projectable source stays projectable (the planner's projection
	// push-down), behind the same check.
	proj, isProj := f.(connector.ProjectableTableSource)
	switch {
	case isSrc && isSnk && isProj:
		return &guardedProjBoth{guardedBoth{guardedSource{g, src}, snk}, proj}
	case isSrc && isSnk:
		return &guardedBoth{guardedSource{g, src}, snk}
	case isSrc && isProj:
		return &guardedProjSource{guardedSource{g, src}, proj}
	case isSrc:
		return &guardedSource{g, src}
	case isSnk:
		return &guardedSink{g, snk}
	}
	return f
}

type guarded struct {
	connector.TableFactory
	check    func(t *connector.TableContext) error
	onSource func(connector string, t connector.TableContext) // nil: none
}

// AllowsOption keeps connector.DynamicOptions: the option keys a guarded
// factory takes beyond its fixed ones (datagen's per-column options).
func (g guarded) AllowsOption(key string) bool {
	d, ok := g.TableFactory.(connector.DynamicOptions)
	return ok && d.AllowsOption(key)
}

var _ connector.DynamicOptions = guarded{}

// PrunesPartitions keeps connector.PartitionPruningTableSource: a guarded
// filesystem source still skips the partitions the query's filter rejects
// (the filter reaches it in the TableContext that the check passes on);
// false for a factory that does not prune.
func (g guarded) PrunesPartitions(t connector.TableContext) bool {
	p, ok := g.TableFactory.(connector.PartitionPruningTableSource)
	return ok && p.PrunesPartitions(t)
}

var _ connector.PartitionPruningTableSource = guarded{}

// ReaderTime keeps connector.ReaderTimeTableSource: a guarded nexmark
// scan still takes its readers' event times (the projected sources are
// the factory's own, checked, so their readers are too); false for a
// factory without it. It reads only t's schema, and opens nothing.
func (g guarded) ReaderTime(t connector.TableContext) (connector.ReaderTime, bool) {
	r, ok := g.TableFactory.(connector.ReaderTimeTableSource)
	if !ok {
		return connector.ReaderTime{}, false
	}
	return r.ReaderTime(t)
}

var _ connector.ReaderTimeTableSource = guarded{}

// UniqueKeys keeps connector.UniqueKeyTableSource: a guarded nexmark
// table still states its unique ids, so server jobs' joins on them keep
// the regular join's unique mode; none for a factory without it. It reads
// only t's schema, and opens nothing.
func (g guarded) UniqueKeys(t connector.TableContext) []connector.UniqueKey {
	u, ok := g.TableFactory.(connector.UniqueKeyTableSource)
	if !ok {
		return nil
	}
	return u.UniqueKeys(t)
}

var _ connector.UniqueKeyTableSource = guarded{}

type guardedSource struct {
	guarded
	src connector.TableSourceFactory
}

func (g *guardedSource) TableSource(ctx context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	if err := g.check(&t); err != nil {
		return nil, err
	}
	if g.onSource != nil {
		g.onSource(g.Name(), t)
	}
	return g.src.TableSource(ctx, t)
}

// projected checks t, tells onSource, then opens the projected source.
func (g *guardedSource) projected(ctx context.Context, proj connector.ProjectableTableSource, t connector.TableContext, fields [][]int) (connector.Source[table.Row], error) {
	if err := g.check(&t); err != nil {
		return nil, err
	}
	if g.onSource != nil {
		g.onSource(g.Name(), t)
	}
	return proj.ProjectedTableSource(ctx, t, fields)
}

type guardedProjSource struct {
	guardedSource
	proj connector.ProjectableTableSource
}

func (g *guardedProjSource) ProjectedTableSource(ctx context.Context, t connector.TableContext, fields [][]int) (connector.Source[table.Row], error) {
	return g.projected(ctx, g.proj, t, fields)
}

type guardedProjBoth struct {
	guardedBoth
	proj connector.ProjectableTableSource
}

func (g *guardedProjBoth) ProjectedTableSource(ctx context.Context, t connector.TableContext, fields [][]int) (connector.Source[table.Row], error) {
	return g.projected(ctx, g.proj, t, fields)
}

var (
	_ connector.ProjectableTableSource = (*guardedProjSource)(nil)
	_ connector.ProjectableTableSource = (*guardedProjBoth)(nil)
)

type guardedSink struct {
	guarded
	snk connector.TableSinkFactory
}

func (g *guardedSink) TableSink(ctx context.Context, t connector.TableContext, updating bool) (connector.Sink[table.Row], error) {
	if err := g.check(&t); err != nil {
		return nil, err
	}
	return g.snk.TableSink(ctx, t, updating)
}

type guardedBoth struct {
	guardedSource
	snk connector.TableSinkFactory
}

func (g *guardedBoth) TableSink(ctx context.Context, t connector.TableContext, updating bool) (connector.Sink[table.Row], error) {
	if err := g.check(&t); err != nil {
		return nil, err
	}
	return g.snk.TableSink(ctx, t, updating)
}

// checkOptions rewrites t's 'path' to an absolute path inside the data
// directory, or refuses it, and checks hosts named by URLs and servers.
func (s *Server) checkOptions(t *connector.TableContext) error {
	opts := make(map[string]string, len(t.Options))
	for k, v := range t.Options {
		opts[k] = v
	}
	for k, v := range t.Options {
		lk := strings.ToLower(k)
		switch {
		case lk == "path":
			p, err := s.confine(v)
			if err != nil {
				return fmt.Errorf("option 'path' = '%s': %v", v, err)
			}
			opts[k] = p
		case strings.HasSuffix(lk, "bootstrap.servers"):
			for _, hp := range strings.Split(v, ",") {
				if err := s.allowedHost(strings.TrimSpace(hp)); err != nil {
					return fmt.Errorf("option '%s': %v", k, err)
				}
			}
		case strings.HasSuffix(lk, "url") || strings.Contains(v, "://"):
			if strings.HasPrefix(strings.ToLower(v), "file:") {
				return fmt.Errorf("option '%s' = '%s': file URLs are not allowed here", k, v)
			}
			if !strings.Contains(v, "://") {
				continue
			}
			// Parse as a URL client libraries do (not by cutting at
			// "/" and "@": "http://evil?@127.0.0.1" is a request to evil).
			u, err := url.Parse(v)
			if err != nil || u.Host == "" || u.Opaque != "" {
				return fmt.Errorf("option '%s' = '%s': not a URL the server can check (%v)", k, v, err)
			}
			if sc := strings.ToLower(u.Scheme); sc != "http" && sc != "https" {
				return fmt.Errorf("option '%s': scheme %q is not allowed (http or https)", k, u.Scheme)
			}
			if u.User != nil {
				return fmt.Errorf("option '%s': credentials in the URL are not allowed; use the connector's credential options", k)
			}
			if err := s.allowedHost(u.Host); err != nil {
				return fmt.Errorf("option '%s': %v", k, err)
			}
		}
	}
	t.Options = opts
	return nil
}

// confine resolves p (relative: under files/ of the data directory) and
// refuses it unless it stays inside the data directory after resolving
// symlinks.
func (s *Server) confine(p string) (string, error) {
	p = strings.TrimPrefix(p, "file://")
	if strings.ContainsRune(p, 0) || p == "" {
		return "", fmt.Errorf("not a path")
	}
	// The file connectors read a path as a glob pattern: a pattern could
	// name what the check below never saw ("../tok*").
	if strings.ContainsAny(p, "*?[\\") {
		return "", fmt.Errorf("glob patterns are not allowed in the server's tables; name a file or a directory under %s", filepath.Join(s.dir, "files"))
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(s.dir, "files", p)
	}
	p = filepath.Clean(p)
	real, err := resolveExisting(p)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(s.dir, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("the server reads and writes files only inside its data directory %s (relative paths are under %s)",
			s.dir, filepath.Join(s.dir, "files"))
	}
	// Tables live under files/: the rest of the data directory (tokens,
	// jobs, savepoints, the journal, the directory itself) is the server's.
	if rel != "files" && !strings.HasPrefix(rel, "files"+string(filepath.Separator)) {
		return "", fmt.Errorf("%s belongs to the server; tables use %s", filepath.Join(s.dir, rel), filepath.Join(s.dir, "files"))
	}
	return real, nil
}

// resolveExisting resolves the symlinks of the longest existing prefix of
// p and appends the rest.
func resolveExisting(p string) (string, error) {
	rest := ""
	cur := p
	for {
		if _, err := os.Lstat(cur); err == nil {
			r, err := filepath.EvalSymlinks(cur)
			if err != nil {
				return "", err
			}
			return filepath.Join(r, rest), nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

func (s *Server) allowedHost(hostport string) error {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	for _, a := range s.cfg.AllowHosts {
		if strings.EqualFold(a, hostport) || strings.EqualFold(a, host) {
			return nil
		}
	}
	return fmt.Errorf("host %q is not in the server's allow list (%s); start the server with --allow-host %s to allow it",
		hostport, strings.Join(s.cfg.AllowHosts, ", "), host)
}

// secretOption matches a WITH option whose key names a secret, and its
// value: the SQL a job shows over the API has these values redacted (S5).
var secretOption = regexp.MustCompile(`(?i)('[^']*(?:password|passwd|secret|token|credential|sasl\.jaas|access[._-]?key|private[._-]?key)[^']*'\s*=\s*)'(?:[^']|'')*'`)

// RedactSQL replaces the values of secret-looking WITH options by
// '<redacted>'.
func RedactSQL(sql string) string {
	return secretOption.ReplaceAllString(sql, "${1}'<redacted>'")
}
