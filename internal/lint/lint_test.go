package lint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// modulePath is the module whose packages the table governs.
const modulePath = "github.com/stromio/strom"

// rule is one row of the dependency table of DESIGN.md §2.
//
// Patterns, relative to the module root:
//
//	"x"      the package x only
//	"x/*"    the packages strictly below x (x/a, x/a/b), not x itself
//	"x/..."  x and every package below it
type rule struct {
	pkg      string   // the packages the row is about
	allow    []string // module packages they may import (nil: none)
	anything bool     // may import any module package not in deny
	deny     []string // with anything: still forbidden
	exempt   bool     // not checked at all
}

// Rows of the table that later rows build on.
var (
	// internal/task may import "the five above + connector, codec". The
	// operator and checkpoint rows name internal/state alone (they program
	// against the backend interface); the executor and the cluster choose a
	// backend, so they may import the backends as well.
	taskAllow = []string{
		"internal/base", "internal/state/...", "internal/operator", "internal/plan",
		"internal/checkpoint", "connector", "codec", "internal/failpoint",
	}
	// internal/cluster: "the above + internal/task".
	clusterAllow = append(slices.Clip(taskAllow), "internal/task", "internal/vfs")
	// stream, the public DataStream API.
	streamAllow = []string{
		"codec", "connector", "internal/base", "internal/plan", "internal/operator", "internal/cluster",
	}
)

// table is DESIGN.md §2 as data. The first row whose pkg pattern matches a
// package applies, so specific rows come before wildcard rows. Change it
// together with the table in DESIGN.md, with the reason written there.
var table = []rule{
	{pkg: "internal/lint", exempt: true}, // this package: tests only
	{pkg: "cmd/strom", allow: []string{"internal/cli"}},
	// A developer's tool reading keyed state files (BENCHMARKS.md, q9).
	{pkg: "scripts/keyedstat", allow: []string{"internal/checkpoint", "internal/task"}},

	{pkg: "codec"},
	{pkg: "internal/base"},
	// The storage-fault seam (RELIABILITY.md): checkpoint file I/O goes through it.
	{pkg: "internal/vfs"},
	// Env-selected crash points of the checkpoint protocol (RELIABILITY.md P4).
	{pkg: "internal/failpoint"},
	// Stands alone so it can be embedded without the engine; its file I/O goes
	// through the same storage-fault seam as the checkpoints (DESIGN.md §6).
	{pkg: "journal", allow: []string{"internal/vfs"}},
	// The SQL data model (types, values, rows, schemas) that connectors and
	// formats see without the SQL layers (DESIGN.md §7).
	{pkg: "table"},

	{pkg: "connector", allow: []string{"codec", "table"}},
	// The record formats shared by the connectors and SQL.
	{pkg: "connector/format", allow: []string{"connector", "codec", "table"}},
	{pkg: "connector/journal", allow: []string{"connector", "codec", "journal", "connector/format", "table"}},
	// Connectors see only the SPI, the shared record formats and rows.
	{pkg: "connector/*", allow: []string{"connector", "codec", "connector/format", "table"}},

	// internal/state and its backends (memstate, pebblestate ...); a backend
	// implements the interface of internal/state, so it may import it.
	{pkg: "internal/state/...", allow: []string{"internal/base", "internal/state/..."}},
	{pkg: "internal/operator", allow: []string{"internal/base", "internal/state", "connector", "codec", "internal/failpoint"}},
	{pkg: "internal/plan", allow: []string{"internal/base", "internal/operator", "connector", "codec"}},
	{pkg: "internal/checkpoint", allow: []string{"internal/base", "internal/state", "internal/vfs", "internal/failpoint"}},
	{pkg: "internal/task", allow: taskAllow}, // consumes plans, never the planner of SQL
	{pkg: "internal/cluster", allow: clusterAllow},

	{pkg: "stream", allow: streamAllow},
	// Pattern detection (CEP), a library over the DataStream API as
	// flink-cep is over Flink's (DESIGN.md §9).
	{pkg: "cep", allow: []string{"stream", "codec"}},
	{pkg: "streamtest", allow: append(slices.Clip(streamAllow), "stream", "internal/state/...")},

	// The Nexmark queries are user code of the DataStream API.
	{pkg: "internal/nexmark", allow: []string{"stream", "codec", "connector", "connector/nexmark", "connector/file"}},

	// The SQL parser stands alone: text in, syntax tree out.
	{pkg: "internal/sql/parser"},
	// Typed SQL expressions compiled to closures over table.Row.
	{pkg: "internal/sql/expr", allow: []string{"table"}},
	// The session catalog: names of tables, views and options.
	{pkg: "internal/sql/catalog", allow: []string{"internal/sql/parser", "table"}},
	// The SQL planner builds jobs through the typed DataStream API over
	// table.Row (DESIGN.md §6): stream is the builder over internal/plan.
	{pkg: "internal/sql/planner", allow: []string{"internal/sql/parser", "internal/sql/catalog", "internal/sql/expr",
		"table", "connector", "codec", "stream", "cep"}},
	{pkg: "internal/sql", allow: []string{"internal/base", "internal/plan", "internal/operator", "connector", "codec", "table"}},
	{pkg: "streamsql", allow: []string{"internal/sql/...", "internal/cluster", "connector", "stream", "table"}},
	{pkg: "internal/web", allow: []string{"internal/cluster", "internal/base", "table"}}, // a view of the cluster, never the tasks
	// The job manager of `strom server` behind web.Backend (DESIGN.md §8).
	{pkg: "internal/server", allow: []string{"internal/web", "streamsql", "stream", "journal", "connector", "connector/...", "internal/cluster", "table", "internal/failpoint"}},
	{pkg: "internal/cli", anything: true, deny: []string{"streamtest"}},
}

// match reports whether the module-relative package p matches pattern.
func match(pattern, p string) bool {
	switch {
	case strings.HasSuffix(pattern, "/..."):
		base := strings.TrimSuffix(pattern, "/...")
		return p == base || strings.HasPrefix(p, base+"/")
	case strings.HasSuffix(pattern, "/*"):
		return strings.HasPrefix(p, strings.TrimSuffix(pattern, "*"))
	default:
		return p == pattern
	}
}

func matchAny(patterns []string, p string) bool {
	for _, pat := range patterns {
		if match(pat, p) {
			return true
		}
	}
	return false
}

// ruleFor returns the row of package p, or nil when the table has none.
func ruleFor(p string) *rule {
	for i := range table {
		if match(table[i].pkg, p) {
			return &table[i]
		}
	}
	return nil
}

// pkgInfo is what the checker needs to know of one package of the module.
type pkgInfo struct {
	Path     string   // relative to the module root ("" is the root itself)
	Imports  []string // module-internal imports of its non-test files, relative
	TestOnly bool     // the package has only _test.go files
}

func display(p string) string {
	if p == "" {
		return "(module root)"
	}
	return p
}

// checkImports returns one message per forbidden edge and per package that
// has no row in the table.
func checkImports(pkgs []pkgInfo) []string {
	var bad []string
	for _, p := range pkgs {
		if p.TestOnly {
			continue
		}
		r := ruleFor(p.Path)
		if r == nil {
			bad = append(bad, fmt.Sprintf("package %s has no row in the dependency table: "+
				"add it to the table in DESIGN.md §2 and to `table` in internal/lint/lint_test.go "+
				"(with the module packages it may import)", display(p.Path)))
			continue
		}
		if r.exempt {
			continue
		}
		for _, imp := range p.Imports {
			ok := matchAny(r.allow, imp)
			if r.anything {
				ok = !matchAny(r.deny, imp)
			}
			if !ok {
				bad = append(bad, fmt.Sprintf("forbidden import: %s imports %s; its row of DESIGN.md §2 (%s) allows %s",
					display(p.Path), display(imp), r.pkg, describeAllow(r)))
			}
		}
	}
	return bad
}

func describeAllow(r *rule) string {
	switch {
	case r.anything:
		return "anything but " + strings.Join(r.deny, ", ")
	case len(r.allow) == 0:
		return "nothing of the module"
	default:
		return strings.Join(r.allow, ", ")
	}
}

// clockRulePkgs are the packages whose non-test code must take time from
// the injected base.Clock.
var clockRulePkgs = []string{"internal/task/...", "internal/operator/...", "internal/checkpoint/..."}

// bannedTime are the functions of package time that read or wait on the
// wall clock.
var bannedTime = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true, "Tick": true,
	"NewTimer": true, "AfterFunc": true, "NewTicker": true,
}

// checkClock reports every use of a banned function of package time in f,
// whatever name the file imports "time" under. Uses through a local
// variable that shadows the import name are not reported.
func checkClock(fset *token.FileSet, f *ast.File) []string {
	var bad []string
	names := map[string]bool{}
	for _, spec := range f.Imports {
		if path, _ := strconv.Unquote(spec.Path.Value); path != "time" {
			continue
		}
		name := "time"
		if spec.Name != nil {
			name = spec.Name.Name
		}
		switch name {
		case "_":
		case ".":
			bad = append(bad, fmt.Sprintf("%s: dot-import of \"time\" hides wall-clock calls; import it by name and use the injected base.Clock",
				fset.Position(spec.Pos())))
		default:
			names[name] = true
		}
	}
	if len(names) == 0 {
		return bad
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		// Obj is set only for identifiers the parser resolved to a local
		// declaration: a package name never is.
		if !ok || id.Obj != nil || !names[id.Name] || !bannedTime[sel.Sel.Name] {
			return true
		}
		bad = append(bad, fmt.Sprintf("%s: time.%s reads the wall clock: use the injected base.Clock "+
			"(Runtime.Clock, the subtask's clock) so that tests are deterministic", fset.Position(sel.Pos()), sel.Sel.Name))
		return true
	})
	return bad
}

// goListPackage holds the fields of `go list -json` this test reads.
type goListPackage struct {
	ImportPath     string
	Dir            string
	GoFiles        []string
	CgoFiles       []string
	IgnoredGoFiles []string
	TestGoFiles    []string
	XTestGoFiles   []string
	Imports        []string
	Error          *struct{ Err string }
}

func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	root := os.Getenv("GOROOT")
	if root == "" {
		root = runtime.GOROOT()
	}
	return filepath.Join(root, "bin", "go")
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// listModule runs `go list -e -json ./...` at the module root.
func listModule(t *testing.T) []goListPackage {
	t.Helper()
	cmd := exec.Command(goCommand(), "list", "-e",
		"-json=ImportPath,Dir,GoFiles,CgoFiles,IgnoredGoFiles,TestGoFiles,XTestGoFiles,Imports,Error", "./...")
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []goListPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goListPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return append(pkgs, unlisted(t, cmd.Dir, pkgs)...)
}

// unlisted finds the directories of Go files that `go list ./...` leaves
// out because build constraints exclude all their files (a package built
// only with a tag or on another platform), so that their imports are
// checked too. Their files are reported as IgnoredGoFiles.
func unlisted(t *testing.T, root string, listed []goListPackage) []goListPackage {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range listed {
		seen[p.Dir] = true
	}
	var extra []goListPackage
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root {
			if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		if seen[path] {
			return nil
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		p := goListPackage{Dir: path}
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".go") {
				p.IgnoredGoFiles = append(p.IgnoredGoFiles, e.Name())
			}
		}
		if len(p.IgnoredGoFiles) == 0 {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		p.ImportPath = modulePath + "/" + filepath.ToSlash(rel)
		extra = append(extra, p)
		return nil
	})
	if err != nil {
		t.Fatalf("walking the module: %v", err)
	}
	return extra
}

func isTestFile(name string) bool { return strings.HasSuffix(name, "_test.go") }

// relative turns an import path of the module into a module-relative path.
func relative(importPath string) (string, bool) {
	if importPath == modulePath {
		return "", true
	}
	rel, ok := strings.CutPrefix(importPath, modulePath+"/")
	return rel, ok
}

// sourceFiles are the non-test .go files of p, including those the current
// build constraints exclude (other platforms, tags), except generators
// marked //go:build ignore.
func sourceFiles(t *testing.T, p goListPackage) (files []string, excluded []string) {
	t.Helper()
	for _, name := range slices.Concat(p.GoFiles, p.CgoFiles) {
		files = append(files, filepath.Join(p.Dir, name))
	}
	for _, name := range p.IgnoredGoFiles {
		if isTestFile(name) || !strings.HasSuffix(name, ".go") {
			continue
		}
		path := filepath.Join(p.Dir, name)
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(src, []byte("//go:build ignore\n")) {
			continue
		}
		files = append(files, path)
		excluded = append(excluded, path)
	}
	return files, excluded
}

// TestImportTable enforces the dependency table of DESIGN.md §2 on every
// package of the module.
func TestImportTable(t *testing.T) {
	var infos []pkgInfo
	for _, p := range listModule(t) {
		rel, ok := relative(p.ImportPath)
		if !ok {
			continue
		}
		files, excluded := sourceFiles(t, p)
		if p.Error != nil && len(files) > 0 {
			t.Errorf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		info := pkgInfo{Path: rel, TestOnly: len(files) == 0}
		imports := slices.Clone(p.Imports)
		// go list reports the imports of the files of this platform only;
		// read the others' import blocks too.
		fset := token.NewFileSet()
		for _, path := range excluded {
			f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
			if err != nil {
				t.Errorf("parse %s: %v", path, err)
				continue
			}
			for _, spec := range f.Imports {
				if imp, err := strconv.Unquote(spec.Path.Value); err == nil {
					imports = append(imports, imp)
				}
			}
		}
		for _, imp := range imports {
			if r, ok := relative(imp); ok && r != rel {
				info.Imports = append(info.Imports, r)
			}
		}
		slices.Sort(info.Imports)
		info.Imports = slices.Compact(info.Imports)
		infos = append(infos, info)
	}
	for _, msg := range checkImports(infos) {
		t.Error(msg)
	}
}

// TestNoWallClock bans the wall clock in task, operator and checkpoint code.
func TestNoWallClock(t *testing.T) {
	checked := 0
	for _, p := range listModule(t) {
		rel, ok := relative(p.ImportPath)
		if !ok || !matchAny(clockRulePkgs, rel) {
			continue
		}
		files, _ := sourceFiles(t, p)
		fset := token.NewFileSet()
		for _, path := range files {
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Errorf("parse %s: %v", path, err)
				continue
			}
			checked++
			for _, msg := range checkClock(fset, f) {
				t.Error(msg)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no file of internal/task, internal/operator or internal/checkpoint was checked: is the module layout as expected?")
	}
}

// TestCheckImportsReports feeds the checker edges it must reject, so that a
// broken checker cannot pass silently.
func TestCheckImportsReports(t *testing.T) {
	cases := []struct {
		pkg     pkgInfo
		want    string // substring of the one expected message; "" = accepted
		wantNum int
	}{
		{pkgInfo{Path: "connector/kafka", Imports: []string{"internal/base"}}, "connector/kafka imports internal/base", 1},
		{pkgInfo{Path: "connector/kafka", Imports: []string{"journal"}}, "connector/kafka imports journal", 1},
		{pkgInfo{Path: "connector/journal", Imports: []string{"journal", "connector", "codec"}}, "", 0},
		{pkgInfo{Path: "connector", Imports: []string{"connector/kafka"}}, "connector imports connector/kafka", 1},
		{pkgInfo{Path: "journal", Imports: []string{"codec"}}, "journal imports codec", 1},
		{pkgInfo{Path: "internal/web", Imports: []string{"internal/cluster", "internal/task"}}, "internal/web imports internal/task", 1},
		{pkgInfo{Path: "internal/task", Imports: []string{"internal/sql"}}, "internal/task imports internal/sql", 1},
		{pkgInfo{Path: "internal/task", Imports: []string{"internal/state/pebblestate", "internal/plan", "connector"}}, "", 0},
		{pkgInfo{Path: "internal/operator", Imports: []string{"internal/state/pebblestate"}}, "internal/operator imports internal/state/pebblestate", 1},
		{pkgInfo{Path: "internal/state/pebblestate", Imports: []string{"internal/state", "internal/base"}}, "", 0},
		{pkgInfo{Path: "stream", Imports: []string{"internal/task"}}, "stream imports internal/task", 1},
		{pkgInfo{Path: "streamtest", Imports: []string{"stream", "internal/cluster"}}, "", 0},
		{pkgInfo{Path: "internal/cli", Imports: []string{"stream", "internal/web", "streamsql"}}, "", 0},
		{pkgInfo{Path: "internal/cli", Imports: []string{"streamtest"}}, "internal/cli imports streamtest", 1},
		{pkgInfo{Path: "cmd/strom", Imports: []string{"stream"}}, "cmd/strom imports stream", 1},
		{pkgInfo{Path: "internal/newthing", Imports: nil}, "add it to the table in DESIGN.md", 1},
		{pkgInfo{Path: "test/chaos", TestOnly: true, Imports: []string{"internal/task"}}, "", 0},
		{pkgInfo{Path: "internal/lint", Imports: []string{"internal/task"}}, "", 0},
		{pkgInfo{Path: "internal/vfs", Imports: []string{"internal/base"}}, "internal/vfs imports internal/base", 1},
		{pkgInfo{Path: "internal/checkpoint", Imports: []string{"internal/vfs", "internal/state", "internal/base"}}, "", 0},
		{pkgInfo{Path: "internal/checkpoint", Imports: []string{"internal/operator"}}, "internal/checkpoint imports internal/operator", 1},
	}
	for _, c := range cases {
		got := checkImports([]pkgInfo{c.pkg})
		if len(got) != c.wantNum || (c.want != "" && !strings.Contains(got[0], c.want)) {
			t.Errorf("checkImports(%+v) = %q, want %d message(s) containing %q", c.pkg, got, c.wantNum, c.want)
		}
	}
}

// TestCheckClockReports feeds the clock checker code it must reject.
func TestCheckClockReports(t *testing.T) {
	const src = `package x

import (
	tm "time"
	"fmt"
)

func f(d tm.Duration) {
	start := tm.Now()
	tm.Sleep(d)
	after := tm.After
	fmt.Println(tm.Since(start), after, tm.Millisecond)
	_ = tm.NewTicker(d)
}

func g(tm fakeTime) { tm.Now() } // a local variable shadows the import: not the time package
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := checkClock(fset, f)
	var names []string
	for _, msg := range got {
		if !strings.Contains(msg, "use the injected base.Clock") {
			t.Errorf("message does not say what to do: %q", msg)
		}
		_, rest, _ := strings.Cut(msg, ": time.")
		name, _, _ := strings.Cut(rest, " ")
		names = append(names, name)
	}
	want := []string{"Now", "Sleep", "After", "Since", "NewTicker"}
	if !slices.Equal(names, want) {
		t.Errorf("reported %q, want %q:\n%s", names, want, strings.Join(got, "\n"))
	}

	dot, err := parser.ParseFile(fset, "y.go", "package y\nimport . \"time\"\nvar _ = Now()\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := checkClock(fset, dot); len(got) != 1 || !strings.Contains(got[0], "dot-import") {
		t.Errorf("dot import of time: got %q, want one dot-import message", got)
	}
}

// TestTableRowsReachable guards the table itself: no row is shadowed by an
// earlier one, and every allowed pattern names a package some row governs.
func TestTableRowsReachable(t *testing.T) {
	for i, r := range table {
		probe := strings.TrimSuffix(strings.TrimSuffix(r.pkg, "/..."), "/*")
		if strings.HasSuffix(r.pkg, "/*") {
			probe += "/x"
		}
		if got := ruleFor(probe); got != &table[i] {
			t.Errorf("row %q is shadowed by row %q", r.pkg, got.pkg)
		}
		for _, a := range slices.Concat(r.allow, r.deny) {
			probe := strings.TrimSuffix(strings.TrimSuffix(a, "/..."), "/*")
			if ruleFor(probe) == nil && ruleFor(probe+"/x") == nil {
				t.Errorf("row %q allows %q, which no row governs", r.pkg, a)
			}
		}
	}
}
