package parser

import (
	"strings"
	"testing"
)

// A script on one long line (strom sql -e) is shown as a window around the
// column, the caret under the same character as in the whole line.
func TestExcerptLongLine(t *testing.T) {
	long := "SELECT " + strings.Repeat("a, ", 100) + "FROM t WHER x = 1"
	col := strings.Index(long, "WHER") + 1
	got := Excerpt(long, 1, col)
	lines := strings.Split(got, "\n")
	if len(lines) != 3 {
		t.Fatalf("excerpt %q: want 3 lines", got)
	}
	text, caret := lines[1], lines[2]
	if !strings.HasPrefix(text, "  ...") || strings.HasSuffix(text, "...") {
		t.Fatalf("window %q: want a cut start and the line's own end", text)
	}
	if n := len([]rune(text)) - 2; n > excerptWidth+6 {
		t.Fatalf("window of %d runes, want at most %d", n, excerptWidth+6)
	}
	at := strings.IndexByte(caret, '^')
	if at < 0 || !strings.HasPrefix(text[at:], "WHER") {
		t.Fatalf("caret at %d of %q: not under WHER\n%s", at, text, got)
	}

	// A column in the middle: both ends cut.
	mid := strings.Repeat("x", 300)
	got = Excerpt(mid[:150]+"Y"+mid[150:], 1, 151)
	lines = strings.Split(got, "\n")
	if !strings.HasPrefix(lines[1], "  ...") || !strings.HasSuffix(lines[1], "...") {
		t.Fatalf("middle window %q: want both ends cut", lines[1])
	}
	if at := strings.IndexByte(lines[2], '^'); lines[1][at] != 'Y' {
		t.Fatalf("caret not under Y: %q / %q", lines[1], lines[2])
	}

	// A short line is shown whole, tabs as spaces.
	if got, want := Excerpt("SELECT\tx FROM", 1, 8), "\n  SELECT x FROM\n         ^"; got != want {
		t.Fatalf("short line: got %q, want %q", got, want)
	}
}
