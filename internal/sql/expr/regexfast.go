package expr

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// fastRegex runs a constant pattern with the results of the plain
// *regexp.Regexp, faster when the pattern has a required literal: a
// literal every match contains (a top-level part of the pattern, e.g.
// "channel_id=" of `(&|^)channel_id=([^&]*)`).
//
//   - Input without the literal has no match: the regexp is not run.
//   - When the part of the pattern before the literal matches at most
//     width bytes, no match starts before q-width, q the literal's first
//     occurrence; the regexp is run on s[lo:] for lo at or before q-width
//     (moved back to the start of a rune, where the plain run decodes
//     from too). The only assertions whose value depends on the text
//     before lo are ^ (begin of text: never true at lo > 0, so tail has
//     it replaced by a pattern that matches nothing), (?m)^, \b and \B
//     (a pattern with any of them gets no window). So the leftmost-first
//     match of tail in s[lo:] is the plain one's, shifted by lo.
type fastRegex struct {
	re    *regexp.Regexp
	lit   string         // required literal; "" = none known
	width int            // bytes before lit at most; -1 = unbounded
	tail  *regexp.Regexp // re with ^ unmatchable; nil = no window
	// param: the pattern is (a|^)lit([^c]*) (Nexmark q21), matched by
	// matchParam without the regexp; a, c ASCII.
	param bool
	a, c  byte
}

// maxWidthUnbounded caps the width computation.
const maxWidthUnbounded = 1 << 20

func newFastRegex(re *regexp.Regexp) *fastRegex {
	f := &fastRegex{re: re, width: -1}
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return f
	}
	top := t
	for top.Op == syntax.OpCapture {
		top = top.Sub[0]
	}
	parts := []*syntax.Regexp{top}
	if top.Op == syntax.OpConcat {
		parts = top.Sub
	}
	before := 0
	for _, p := range parts {
		if p.Op == syntax.OpLiteral && p.Flags&syntax.FoldCase == 0 && validLit(p.Rune) {
			lit := string(p.Rune)
			if len(lit) > len(f.lit) {
				f.lit = lit
				f.width = before
			}
		}
		if w := maxWidth(p); w < 0 || before < 0 {
			before = -1
		} else {
			before += w
		}
	}
	if f.param, f.a, f.c = paramShape(parts); f.param && (f.lit != string(parts[1].Rune) || re.NumSubexp() != 2) {
		// Not inside a further capture either ((&|^)lit([^c]*) wrapped in
		// one more group): matchParam gives the indexes of exactly two
		// groups.
		f.param = false
	}
	if f.lit == "" || f.width < 0 || hasContextAssertion(t) {
		return f
	}
	tailPat := noBeginText(t).String()
	tail, err := regexp.Compile(tailPat)
	if err != nil || tail.NumSubexp() != re.NumSubexp() || !slices.Equal(tail.SubexpNames(), re.SubexpNames()) {
		return f
	}
	f.tail = tail
	return f
}

// maxWidth is the most bytes re can match (invalid UTF-8 bytes are one
// byte each, decoded as U+FFFD), -1 when unbounded.
func maxWidth(re *syntax.Regexp) int {
	w := maxWidth1(re)
	if w >= maxWidthUnbounded {
		return -1
	}
	return w
}

func maxWidth1(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpNoMatch, syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				n += utf8.UTFMax // a case variant may be longer
			} else if l := utf8.RuneLen(r); l > 0 {
				n += l
			} else {
				n += utf8.UTFMax
			}
		}
		return n
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return 0
		}
		if l := utf8.RuneLen(re.Rune[len(re.Rune)-1]); l > 0 {
			return l
		}
		return utf8.UTFMax
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture, syntax.OpQuest:
		return maxWidth1(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		if maxWidth1(re.Sub[0]) == 0 {
			return 0
		}
		return maxWidthUnbounded
	case syntax.OpRepeat:
		w := maxWidth1(re.Sub[0])
		if w == 0 {
			return 0
		}
		if re.Max < 0 {
			return maxWidthUnbounded
		}
		return min(w*re.Max, maxWidthUnbounded)
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n = min(n+maxWidth1(s), maxWidthUnbounded)
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, s := range re.Sub {
			n = max(n, maxWidth1(s))
		}
		return n
	}
	return maxWidthUnbounded
}

// hasContextAssertion reports whether re has an assertion that looks at
// the text before its position other than ^ (begin of text).
func hasContextAssertion(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	return slices.ContainsFunc(re.Sub, hasContextAssertion)
}

// noBeginText is a copy of re with every ^ (begin of text) replaced by a
// pattern that matches nothing.
func noBeginText(re *syntax.Regexp) *syntax.Regexp {
	c := *re
	if c.Op == syntax.OpBeginText {
		return &syntax.Regexp{Op: syntax.OpNoMatch}
	}
	c.Sub = make([]*syntax.Regexp, len(re.Sub))
	for i, s := range re.Sub {
		c.Sub[i] = noBeginText(s)
	}
	c.Sub0 = [1]*syntax.Regexp{}
	return &c
}

// window returns where to run the pattern: (re, 0) for the whole text,
// (tail, lo) for s[lo:], or ok false when there is no match.
func (f *fastRegex) window(s string) (rx *regexp.Regexp, lo int, ok bool) {
	if f.lit == "" {
		return f.re, 0, true
	}
	q := strings.Index(s, f.lit)
	if q < 0 {
		return nil, 0, false
	}
	if f.tail == nil {
		return f.re, 0, true
	}
	lo = q - f.width
	for lo > 0 && !utf8.RuneStart(s[lo]) {
		lo--
	}
	if lo <= 0 {
		return f.re, 0, true
	}
	return f.tail, lo, true
}

// validLit reports whether a literal's runes are text that can occur:
// not U+FFFD (invalid bytes decode to it) and no surrogate (\x{D800}
// parses but never matches, and string(rune) would make it U+FFFD).
func validLit(rs []rune) bool {
	for _, r := range rs {
		if r == utf8.RuneError || !utf8.ValidRune(r) {
			return false
		}
	}
	return true
}

// paramShape recognises (a|^)lit([^c]*): a capture of the alternation
// of one ASCII character and ^, a literal, a capture of the greedy star of
// the class of every character but one ASCII c.
func paramShape(parts []*syntax.Regexp) (ok bool, a, c byte) {
	if len(parts) != 3 {
		return false, 0, 0
	}
	g1, lit, g2 := parts[0], parts[1], parts[2]
	if g1.Op != syntax.OpCapture || g2.Op != syntax.OpCapture || lit.Op != syntax.OpLiteral ||
		lit.Flags&syntax.FoldCase != 0 || !validLit(lit.Rune) || len(lit.Rune) == 0 {
		return false, 0, 0
	}
	alt, star := g1.Sub[0], g2.Sub[0]
	if alt.Op != syntax.OpAlternate || len(alt.Sub) != 2 || alt.Sub[0].Op != syntax.OpLiteral ||
		alt.Sub[0].Flags&syntax.FoldCase != 0 || len(alt.Sub[0].Rune) != 1 || alt.Sub[0].Rune[0] >= utf8.RuneSelf ||
		alt.Sub[1].Op != syntax.OpBeginText {
		return false, 0, 0
	}
	if star.Op != syntax.OpStar || star.Flags&syntax.NonGreedy != 0 || star.Sub[0].Op != syntax.OpCharClass {
		return false, 0, 0
	}
	r := star.Sub[0].Rune
	if len(r) != 4 || r[0] != 0 || r[3] != unicode.MaxRune || r[2] != r[1]+2 || r[1]+1 >= utf8.RuneSelf {
		return false, 0, 0
	}
	return true, byte(alt.Sub[0].Rune[0]), byte(r[1] + 1)
}

// matchParam is FindStringSubmatchIndex of (a|^)lit([^c]*): the leftmost
// start is 0 (a at 0 then lit, preferred, else lit at 0 by ^) or q-1 for
// the first occurrence q of lit after an a; the star takes every byte up
// to the next c (an ASCII c is never inside another character's bytes;
// an invalid byte is U+FFFD, not c).
func (f *fastRegex) matchParam(s string) []int {
	p, q, ok := f.paramAt(s)
	if !ok {
		return nil
	}
	e, end := f.paramEnd(s, q)
	return []int{p, end, p, q, e, end}
}

// paramAt finds matchParam's match: its start p and the literal's q.
func (f *fastRegex) paramAt(s string) (p, q int, ok bool) {
	lit := f.lit
	if len(s) > len(lit) && s[0] == f.a && strings.HasPrefix(s[1:], lit) {
		return 0, 1, true
	}
	if strings.HasPrefix(s, lit) {
		return 0, 0, true
	}
	for from := 1; from < len(s); {
		j := strings.Index(s[from:], lit)
		if j < 0 {
			return 0, 0, false
		}
		q := from + j
		if s[q-1] == f.a {
			return q - 1, q, true
		}
		from = q + 1
	}
	return 0, 0, false
}

// paramEnd is group 2 of the match whose literal starts at q: [e, end).
func (f *fastRegex) paramEnd(s string, q int) (e, end int) {
	e = q + len(f.lit)
	end = len(s)
	if k := strings.IndexByte(s[e:], f.c); k >= 0 {
		end = e + k
	}
	return e, end
}

// Group is group i of FindStringSubmatchIndex(s) (ok false when there
// is no match or the group did not take part), without the slice for
// q21's shape.
func (f *fastRegex) Group(s string, i int) (lo, hi int, ok bool) {
	if f.param && i >= 0 && i <= 2 {
		p, q, found := f.paramAt(s)
		if !found {
			return 0, 0, false
		}
		e, end := f.paramEnd(s, q)
		switch i {
		case 0:
			return p, end, true
		case 1:
			return p, q, true
		}
		return e, end, true
	}
	m := f.FindStringSubmatchIndex(s)
	if m == nil || 2*i+1 >= len(m) || m[2*i] < 0 {
		return 0, 0, false
	}
	return m[2*i], m[2*i+1], true
}

// FindStringSubmatchIndex is f.re.FindStringSubmatchIndex(s).
func (f *fastRegex) FindStringSubmatchIndex(s string) []int {
	if f.param {
		return f.matchParam(s)
	}
	rx, lo, ok := f.window(s)
	if !ok {
		return nil
	}
	m := rx.FindStringSubmatchIndex(s[lo:])
	if lo > 0 {
		for i, v := range m {
			if v >= 0 {
				m[i] = v + lo
			}
		}
	}
	return m
}

// MatchString is f.re.MatchString(s).
func (f *fastRegex) MatchString(s string) bool {
	rx, lo, ok := f.window(s)
	return ok && rx.MatchString(s[lo:])
}

// mayMatch is false when s certainly has no match.
func (f *fastRegex) mayMatch(s string) bool {
	return f.lit == "" || strings.Contains(s, f.lit)
}
