package parser

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a syntax error at a position of the source.
type Error struct {
	Line   int // 1-based
	Col    int // 1-based, in runes
	Offset int // byte offset
	Msg    string
}

// Error returns "line L, column C: message".
func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// Pretty returns the error followed by the source line it points into and a
// caret under the column:
//
//	line 1, column 15: expected ...
//	  SELECT a FROM WHERE
//	                ^
func (e *Error) Pretty(src string) string {
	return e.Error() + Excerpt(src, e.Line, e.Col)
}

// Excerpt is what Pretty adds to an error at line and col (1-based, col
// in runes) of src: a line break, the source line indented by two spaces
// (tabs shown as spaces), and a caret under the column on the next line.
// A line longer than excerptWidth runes (a whole script given on one
// line, as with `strom sql -e`) is cut to a window around the column,
// the cut ends marked with "...". Empty when line is past the end of src.
func Excerpt(src string, line, col int) string {
	text := sourceLine(src, line)
	if line < 1 || (text == "" && line > 1 && sourceLine(src, line-1) == "") {
		return ""
	}
	rs := []rune(strings.ReplaceAll(text, "\t", " "))
	col = min(max(col, 1), len(rs)+1)
	prefix, suffix := "", ""
	if len(rs) > excerptWidth {
		from := max(0, min(col-1-excerptBefore, len(rs)-excerptWidth))
		to := min(len(rs), from+excerptWidth)
		if from > 0 {
			prefix = "..."
		}
		if to < len(rs) {
			suffix = "..."
		}
		rs = rs[from:to]
		col -= from
	}
	var b strings.Builder
	b.WriteString("\n  ")
	b.WriteString(prefix)
	b.WriteString(string(rs))
	b.WriteString(suffix)
	b.WriteString("\n  ")
	b.WriteString(strings.Repeat(" ", utf8.RuneCountInString(prefix)+col-1))
	b.WriteString("^")
	return b.String()
}

// The window Excerpt shows of a long line: excerptWidth runes, the column
// at most excerptBefore runes from its start.
const (
	excerptWidth  = 100
	excerptBefore = 60
)

// sourceLine returns line n (1-based) of src without its line break.
func sourceLine(src string, n int) string {
	for i := 1; i < n; i++ {
		k := strings.IndexByte(src, '\n')
		if k < 0 {
			return ""
		}
		src = src[k+1:]
	}
	if k := strings.IndexByte(src, '\n'); k >= 0 {
		src = src[:k]
	}
	return strings.TrimSuffix(src, "\r")
}

// editDistance is the Levenshtein distance of a and b (ASCII upper case
// words; stops early above 2).
func editDistance(a, b string) int {
	if d := len(a) - len(b); d > 2 || d < -2 {
		return 3
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			c = min(c, prev[j]+1, cur[j-1]+1)
			cur[j] = c
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// suggest returns the keyword of kws nearest to word (distance 1 or 2, and
// less than the word's length), or "".
func suggest(word string, kws []string) string {
	if len(word) < 2 {
		return ""
	}
	best, bestD := "", 3
	for _, kw := range kws {
		d := editDistance(word, kw)
		if d == 0 {
			return ""
		}
		if d < bestD && d < len(word) && (d == 1 || len(word) >= 4) {
			best, bestD = kw, d
		}
	}
	return best
}
