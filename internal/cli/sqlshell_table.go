package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/stromio/strom/table"
)

// The pure parts of the interactive `strom sql` shell: where a statement
// ends, the materialised result table of a query (the changelog applied),
// and the history file.

// scanSQL splits text at its top-level ";" (outside string literals,
// quoted identifiers and comments): the statements (trimmed, empty ones
// dropped), whether text has a top-level ";", whether it ends inside a
// literal or a block comment, and whether anything but blanks and comments
// follows its last top-level ";".
func scanSQL(text string) (stmts []string, semi, open, tail bool) {
	start := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for ; j < len(text); j++ {
				if text[j] == c {
					if j+1 < len(text) && text[j+1] == c { // doubled quote
						j++
						continue
					}
					break
				}
			}
			if j >= len(text) {
				return stmts, semi, true, true
			}
			i, tail = j, true
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			j := strings.Index(text[i+2:], "*/")
			if j < 0 {
				return stmts, semi, true, tail
			}
			i += j + 3
		case c == ';':
			if st := strings.TrimSpace(text[start:i]); st != "" {
				stmts = append(stmts, st)
			}
			start, semi, tail = i+1, true, false
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			tail = true
		}
	}
	if st := strings.TrimSpace(text[start:]); st != "" {
		stmts = append(stmts, st)
	}
	return stmts, semi, false, tail
}

// statementEnd reports whether buf holds at least one complete statement:
// a top-level ";" followed by nothing but blanks and comments.
func statementEnd(buf string) bool {
	_, semi, open, tail := scanSQL(buf)
	return semi && !open && !tail
}

// firstWords returns the first two words of a statement in upper case,
// comments skipped.
func firstWords(stmt string) (string, string) {
	var words []string
	s := stmt
	for len(words) < 2 && s != "" {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "--"):
			if i := strings.IndexByte(s, '\n'); i >= 0 {
				s = s[i+1:]
			} else {
				s = ""
			}
		case strings.HasPrefix(s, "/*"):
			if i := strings.Index(s, "*/"); i >= 0 {
				s = s[i+2:]
			} else {
				s = ""
			}
		case strings.HasPrefix(s, "("):
			s = s[1:] // (SELECT ...) UNION ...
		default:
			i := strings.IndexAny(s, " \t\r\n;(")
			if i < 0 {
				i = len(s)
			}
			if i == 0 {
				s = s[1:]
				continue
			}
			words = append(words, strings.ToUpper(s[:i]))
			s = s[i:]
		}
	}
	for len(words) < 2 {
		words = append(words, "")
	}
	return words[0], words[1]
}

// resultTable is a query's result as a table: the changelog applied by a
// table.Bag (an updated row stays in its place, as Flink's SQL client
// shows it), the rows' fields joined by a NUL. Safe for concurrent use.
type resultTable struct {
	mu      sync.Mutex
	cols    []string
	bag     table.Bag
	changes int64
}

func newResultTable(cols []string) *resultTable { return &resultTable{cols: cols} }

// setCols sets the column names.
func (t *resultTable) setCols(cols []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cols = cols
}

// apply applies one change (the row's fields as text).
func (t *resultTable) apply(kind table.RowKind, fields []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.changes++
	t.bag.Apply(kind, strings.Join(fields, "\x00"))
}

// counts returns the number of rows and of changes applied.
func (t *resultTable) counts() (rows int, changes int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bag.Len(), t.changes
}

// render writes the table with at most maxRows rows, each line at most
// width columns wide (0: no limit), lines ended by nl.
func (t *resultTable) render(w io.Writer, maxRows, width int, nl string) {
	t.mu.Lock()
	var rows [][]string
	t.bag.Each(func(r string) bool {
		if len(rows) == maxRows {
			return false
		}
		rows = append(rows, strings.Split(r, "\x00"))
		return true
	})
	more := t.bag.Len() - len(rows)
	bad, cols := t.bag.Missing(), t.cols
	t.mu.Unlock()
	renderTable(w, cols, rows, width, nl)
	if more > 0 {
		fmt.Fprintf(w, "(%d more rows)%s", more, nl)
	}
	if bad > 0 {
		fmt.Fprintf(w, "warning: %d retractions of rows the result did not hold%s", bad, nl)
	}
}

// maxCell is the widest a cell is shown; longer text is cut with "…".
const maxCell = 40

// renderTable writes cols and rows as a boxed text table.
func renderTable(w io.Writer, cols []string, rows [][]string, width int, nl string) {
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = min(utf8.RuneCountInString(c), maxCell)
	}
	for _, r := range rows {
		for i := range widths {
			if i < len(r) {
				widths[i] = max(widths[i], min(utf8.RuneCountInString(r[i]), maxCell))
			}
		}
	}
	line := func(s string) {
		if width > 0 && utf8.RuneCountInString(s) > width {
			s = cut(s, width)
		}
		io.WriteString(w, s+nl)
	}
	sep := func() string {
		var b strings.Builder
		b.WriteByte('+')
		for _, n := range widths {
			b.WriteString(strings.Repeat("-", n+2))
			b.WriteByte('+')
		}
		return b.String()
	}()
	cells := func(r []string) string {
		var b strings.Builder
		b.WriteByte('|')
		for i, n := range widths {
			s := ""
			if i < len(r) {
				s = r[i]
			}
			s = cut(s, maxCell)
			b.WriteByte(' ')
			b.WriteString(s)
			b.WriteString(strings.Repeat(" ", n-utf8.RuneCountInString(s)+1))
			b.WriteByte('|')
		}
		return b.String()
	}
	line(sep)
	line(cells(cols))
	line(sep)
	for _, r := range rows {
		line(cells(r))
	}
	line(sep)
}

// cut shortens s to n runes, the last one "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	if n < 1 {
		return ""
	}
	return string(r[:n-1]) + "…"
}

// fileHistory is the shell's history: the last historyMax statements,
// loaded from a file and appended to it (0600) as they are entered.
type fileHistory struct {
	path    string
	entries []string // oldest first
}

const historyMax = 1000

// loadHistory reads the history file at path (missing: empty history).
// Entries are stored one per line with "\n" inside an entry escaped.
func loadHistory(path string) *fileHistory {
	h := &fileHistory{path: path}
	f, err := os.Open(path)
	if err != nil {
		return h
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if e := unescapeHistory(sc.Text()); e != "" {
			h.entries = append(h.entries, e)
		}
	}
	if len(h.entries) > historyMax {
		h.entries = h.entries[len(h.entries)-historyMax:]
	}
	return h
}

// Add records entry (term.History); it is appended to the file when the
// history has one.
func (h *fileHistory) Add(entry string) {
	if strings.TrimSpace(entry) == "" || (len(h.entries) > 0 && h.entries[len(h.entries)-1] == entry) {
		return
	}
	h.entries = append(h.entries, entry)
	if len(h.entries) > historyMax {
		h.entries = h.entries[len(h.entries)-historyMax:]
	}
	if h.path == "" {
		return
	}
	f, err := os.OpenFile(h.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return // a history that cannot be saved is no reason to stop the shell
	}
	fmt.Fprintln(f, escapeHistory(entry))
	f.Close()
}

// Len is the number of entries (term.History).
func (h *fileHistory) Len() int { return len(h.entries) }

// At returns the entry idx back from the newest (term.History).
func (h *fileHistory) At(idx int) string { return h.entries[len(h.entries)-1-idx] }

func escapeHistory(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

func unescapeHistory(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			if s[i] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
