package parser

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzParse: no input makes the parser panic or hang; an input that parses
// prints to SQL that parses to the same tree, and printing is stable.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{nexmarkSQL, "testdata/parse"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sql"))
		for _, file := range files {
			src := readFile(f, file)
			f.Add(src)
			// and each statement on its own, which mutates more usefully
			for _, stmt := range strings.Split(src, ";\n") {
				f.Add(stmt)
			}
		}
	}
	_, srcs := errorCases(f)
	for _, s := range srcs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 1<<16 {
			return
		}
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				panic(fmt.Sprintf("parsing took more than 5 s: %q", src))
			}
		}()
		s, err := ParseScript(src)
		if err != nil {
			checkError(t, src, err)
		} else {
			out := s.String()
			s2, err := ParseScript(out)
			if err != nil {
				t.Fatalf("printed script does not parse: %v\ninput: %q\nprinted: %q", err, src, out)
			}
			if d1, d2 := Dump(s), Dump(s2); d1 != d2 {
				t.Fatalf("round trip changed the tree\ninput: %q\nprinted: %q\n%s\n%s", src, out, d1, d2)
			}
			if out2 := s2.String(); out2 != out {
				t.Fatalf("printing is not stable:\n%q\n%q", out, out2)
			}
		}
		if e, err := ParseExpr(src); err == nil {
			out := e.String()
			e2, err := ParseExpr(out)
			if err != nil {
				t.Fatalf("printed expression does not parse: %v\ninput: %q\nprinted: %q", err, src, out)
			}
			if Dump(e) != Dump(e2) {
				t.Fatalf("expression round trip changed the tree\ninput: %q\nprinted: %q", src, out)
			}
		} else {
			checkError(t, src, err)
		}
	})
}

func checkError(t *testing.T, src string, err error) {
	t.Helper()
	pe, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %T is not *Error: %v", err, err)
	}
	if pe.Line < 1 || pe.Col < 1 || pe.Offset < 0 || pe.Offset > len(src) || pe.Msg == "" {
		t.Fatalf("bad error %+v for %q", pe, src)
	}
	_ = pe.Pretty(src)
}
