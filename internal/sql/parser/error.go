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
	var b strings.Builder
	b.WriteString(e.Error())
	line := sourceLine(src, e.Line)
	if line == "" && e.Line > 1 && sourceLine(src, e.Line-1) == "" {
		return b.String()
	}
	b.WriteString("\n  ")
	b.WriteString(strings.ReplaceAll(line, "\t", " "))
	b.WriteString("\n  ")
	col := e.Col
	if n := utf8.RuneCountInString(line) + 1; col > n {
		col = n
	}
	b.WriteString(strings.Repeat(" ", max(col-1, 0)))
	b.WriteString("^")
	return b.String()
}

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
