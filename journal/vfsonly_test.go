package journal

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// vfsOnlyAllowed are the uses of the operating system's files in the
// journal's code that do not go through vfs.FS, each with its reason:
// reading the Linux boot id (a /proc file, not journal data: it tells a
// reboot, docs/format/journal.md §5.1).
var vfsOnlyAllowed = map[string]bool{
	"syncfail.go: os.ReadFile": true,
}

// Issue 5: "all file I/O through a small filesystem interface with a
// fault-injecting implementation". The power-loss tests (L7, L8, L9 ...)
// prove only what goes through vfs.FS: a file opened with package os
// directly would bypass CrashFS, and those tests would still pass. So the
// journal's non-test code may not call package os's file functions, nor
// import io/ioutil, other than the uses listed in vfsOnlyAllowed; syscall
// only on a vfs.File (advise_linux.go).
func TestFileIOOnlyThroughVFS(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		checked++
		bad = append(bad, osFileCalls(t, name)...)
	}
	if checked < 10 {
		t.Fatalf("checked only %d files: run in the journal package's directory", checked)
	}
	if len(bad) > 0 {
		t.Errorf("file I/O around vfs.FS (use the journal's fs, so that CrashFS sees it; or list the use in vfsOnlyAllowed with its reason):\n  %s", strings.Join(bad, "\n  "))
	}
}

// osFileCalls lists the uses of package os (other than its error values
// and constants), io/ioutil and syscall's file calls in one file.
func osFileCalls(t *testing.T, name string) []string {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	local := map[string]string{} // local name -> import path
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		n := filepath.Base(path)
		if imp.Name != nil {
			n = imp.Name.Name
		}
		local[n] = path
	}
	// Names of package os that do no file I/O.
	harmless := []string{"ErrNotExist", "ErrExist", "ErrClosed", "ErrInvalid", "ErrPermission",
		"ErrDeadlineExceeded", "FileMode", "ModePerm", "ModeDir", "IsNotExist", "IsExist", "PathError",
		"LinkError", "Getpid", "Getenv", "LookupEnv", "Hostname"}
	var bad []string
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		use := name + ": " + id.Name + "." + sel.Sel.Name
		switch local[id.Name] {
		case "os":
			if !slices.Contains(harmless, sel.Sel.Name) && !vfsOnlyAllowed[use] {
				bad = append(bad, fset.Position(sel.Pos()).String()+": "+id.Name+"."+sel.Sel.Name)
			}
		case "io/ioutil":
			bad = append(bad, fset.Position(sel.Pos()).String()+": "+id.Name+"."+sel.Sel.Name)
		case "syscall":
			switch sel.Sel.Name {
			case "Open", "Openat", "Creat", "Write", "Pwrite", "Fsync", "Fdatasync", "Ftruncate", "Truncate",
				"Rename", "Renameat", "Unlink", "Unlinkat", "Rmdir", "Mkdir", "Mkdirat", "Link", "Symlink":
				bad = append(bad, fset.Position(sel.Pos()).String()+": "+id.Name+"."+sel.Sel.Name)
			}
		}
		return true
	})
	return bad
}
