package parser

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the lexical class of a token.
type tokKind uint8

const (
	tEOF     tokKind = iota
	tIllegal         // a lexical error; msg holds the message
	tWord            // unquoted identifier or keyword
	tQuoted          // `backticked identifier`
	tString          // 'string literal' (text holds the unescaped value)
	tNumber          // numeric literal (text holds the source text)
	tOp              // punctuation and operators (text holds the operator)
)

// token is one lexical token.
type token struct {
	kind tokKind
	text string // identifier name, unescaped string, number text or operator
	up   string // for tWord: text in upper case (keyword comparisons)
	raw  string // the source text of the token
	pos  Pos
	msg  string
}

// lexer turns SQL source into tokens. Comments and white space are skipped.
type lexer struct {
	src    string
	up     string // src with ASCII letters in upper case (keyword text without an allocation per word)
	off    int
	line   int
	col    int  // 1-based column in runes of the next character
	inHint bool // inside a /*+ hint */
	hint   Pos  // where the open hint began
}

// lex returns all tokens of src, ending with tEOF, or with a tIllegal token
// at the first lexical error.
func lex(src string) []token {
	lx := &lexer{src: src, up: asciiUpper(src), line: 1, col: 1}
	toks := make([]token, 0, len(src)/4+1)
	for {
		t := lx.next()
		toks = append(toks, t)
		if t.kind == tEOF || t.kind == tIllegal {
			if t.kind == tIllegal {
				// always end with EOF so that lookahead never runs off the slice
				toks = append(toks, token{kind: tEOF, pos: t.pos})
			}
			return toks
		}
	}
}

func (lx *lexer) pos() Pos { return Pos{Offset: lx.off, Line: lx.line, Col: lx.col} }

// advance moves over one rune.
func (lx *lexer) advance() rune {
	r, n := utf8.DecodeRuneInString(lx.src[lx.off:])
	lx.off += n
	if r == '\n' {
		lx.line++
		lx.col = 1
	} else {
		lx.col++
	}
	return r
}

func (lx *lexer) peekByte(k int) byte {
	if lx.off+k < len(lx.src) {
		return lx.src[lx.off+k]
	}
	return 0
}

func isIdentStart(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= utf8.RuneSelf && unicode.IsLetter(r)
}

func isIdentPart(r rune) bool {
	return isIdentStart(r) || r >= '0' && r <= '9' || r == '$' || r >= utf8.RuneSelf && unicode.IsDigit(r)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (lx *lexer) illegal(p Pos, msg string) token {
	return token{kind: tIllegal, pos: p, msg: msg, raw: lx.src[p.Offset:lx.off]}
}

// skipSpace skips white space and comments; it returns an illegal token for
// an unterminated block comment.
func (lx *lexer) skipSpace() *token {
	for lx.off < len(lx.src) {
		c := lx.src[lx.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			lx.advance()
		case c == '-' && lx.peekByte(1) == '-':
			for lx.off < len(lx.src) && lx.src[lx.off] != '\n' {
				lx.advance()
			}
		case c == '/' && lx.peekByte(1) == '*' && lx.peekByte(2) == '+' && !lx.inHint:
			return nil // a hint: its tokens are read, not skipped
		case c == '/' && lx.peekByte(1) == '*':
			p := lx.pos()
			lx.advance()
			lx.advance()
			for {
				if lx.off >= len(lx.src) {
					t := lx.illegal(p, "unterminated comment: \"/*\" has no closing \"*/\"")
					return &t
				}
				if lx.src[lx.off] == '*' && lx.peekByte(1) == '/' {
					lx.advance()
					lx.advance()
					break
				}
				lx.advance()
			}
		default:
			r, _ := utf8.DecodeRuneInString(lx.src[lx.off:])
			if r >= utf8.RuneSelf && unicode.IsSpace(r) {
				lx.advance()
				continue
			}
			return nil
		}
	}
	return nil
}

// twoOps are the two-character operators.
var twoOps = []string{"<>", "<=", ">=", "!=", "||", "=>"}

func (lx *lexer) next() token {
	if t := lx.skipSpace(); t != nil {
		return *t
	}
	p := lx.pos()
	if lx.off >= len(lx.src) {
		if lx.inHint {
			return lx.illegal(lx.hint, "unterminated hint: \"/*+\" has no closing \"*/\"")
		}
		return token{kind: tEOF, pos: p}
	}
	switch {
	case !lx.inHint && strings.HasPrefix(lx.src[lx.off:], "/*+"):
		lx.off += 3
		lx.col += 3
		lx.inHint, lx.hint = true, p
		return token{kind: tOp, text: "/*+", raw: "/*+", pos: p}
	case lx.inHint && strings.HasPrefix(lx.src[lx.off:], "*/"):
		lx.off += 2
		lx.col += 2
		lx.inHint = false
		return token{kind: tOp, text: "*/", raw: "*/", pos: p}
	}
	c := lx.src[lx.off]
	r, n := utf8.DecodeRuneInString(lx.src[lx.off:])
	if r == utf8.RuneError && n <= 1 {
		lx.off++
		lx.col++
		return lx.illegal(p, "invalid UTF-8 in the input")
	}
	switch {
	case isIdentStart(r):
		ascii := true
		for lx.off < len(lx.src) {
			r, _ := utf8.DecodeRuneInString(lx.src[lx.off:])
			if !isIdentPart(r) {
				break
			}
			ascii = ascii && r < utf8.RuneSelf
			lx.advance()
		}
		text := lx.src[p.Offset:lx.off]
		up := lx.up[p.Offset:lx.off]
		if !ascii {
			up = strings.ToUpper(text)
		}
		return token{kind: tWord, text: text, up: up, raw: text, pos: p}
	case isDigit(c) || c == '.' && isDigit(lx.peekByte(1)):
		return lx.number(p)
	case c == '\'':
		return lx.str(p)
	case c == '`':
		return lx.quotedIdent(p)
	case c == '"':
		lx.advance()
		for lx.off < len(lx.src) && lx.src[lx.off] != '"' && lx.src[lx.off] != '\n' {
			lx.advance()
		}
		if lx.off < len(lx.src) && lx.src[lx.off] == '"' {
			lx.advance()
		}
		return lx.illegal(p, "double quotes are not used in Flink SQL: write 'single quotes' for a string or `backticks` for an identifier")
	}
	for _, op := range twoOps {
		if strings.HasPrefix(lx.src[lx.off:], op) {
			lx.advance()
			lx.advance()
			return token{kind: tOp, text: op, raw: op, pos: p}
		}
	}
	switch c {
	case '(', ')', '[', ']', '{', '}', ',', ';', '.', '+', '-', '*', '/', '%', '=', '<', '>', '?', '|', '^', '$', ':':
		lx.advance()
		s := lx.src[p.Offset:lx.off]
		return token{kind: tOp, text: s, raw: s, pos: p}
	}
	lx.advance()
	return lx.illegal(p, "unexpected character "+quoteText(lx.src[p.Offset:lx.off]))
}

func (lx *lexer) number(p Pos) token {
	for lx.off < len(lx.src) && isDigit(lx.src[lx.off]) {
		lx.advance()
	}
	if lx.off < len(lx.src) && lx.src[lx.off] == '.' {
		lx.advance()
		for lx.off < len(lx.src) && isDigit(lx.src[lx.off]) {
			lx.advance()
		}
	}
	if c := lx.peekByte(0); c == 'e' || c == 'E' {
		k := 1
		if s := lx.peekByte(1); s == '+' || s == '-' {
			k = 2
		}
		if !isDigit(lx.peekByte(k)) {
			for i := 0; i < k; i++ {
				lx.advance()
			}
			return lx.illegal(p, "malformed number "+quoteText(lx.src[p.Offset:lx.off])+": the exponent has no digits")
		}
		for i := 0; i < k; i++ {
			lx.advance()
		}
		for lx.off < len(lx.src) && isDigit(lx.src[lx.off]) {
			lx.advance()
		}
	}
	if lx.off < len(lx.src) {
		r, _ := utf8.DecodeRuneInString(lx.src[lx.off:])
		if isIdentPart(r) || r == '.' {
			for lx.off < len(lx.src) {
				r, _ := utf8.DecodeRuneInString(lx.src[lx.off:])
				if !isIdentPart(r) && r != '.' {
					break
				}
				lx.advance()
			}
			return lx.illegal(p, "malformed number "+quoteText(lx.src[p.Offset:lx.off]))
		}
	}
	s := lx.src[p.Offset:lx.off]
	return token{kind: tNumber, text: s, raw: s, pos: p}
}

func (lx *lexer) str(p Pos) token {
	lx.advance() // opening quote
	if k := strings.IndexByte(lx.src[lx.off:], '\''); k >= 0 && !strings.HasPrefix(lx.src[lx.off+k+1:], "'") {
		// no doubled quote before the end: the text is a slice of the source
		text := lx.src[lx.off : lx.off+k]
		for lx.off < p.Offset+1+k {
			lx.advance()
		}
		lx.advance() // closing quote
		return token{kind: tString, text: text, raw: lx.src[p.Offset:lx.off], pos: p}
	}
	var b strings.Builder
	for {
		if lx.off >= len(lx.src) {
			return lx.illegal(p, "unterminated string literal: the quote opened here is never closed")
		}
		c := lx.src[lx.off]
		if c == '\'' {
			lx.advance()
			if lx.peekByte(0) == '\'' {
				lx.advance()
				b.WriteByte('\'')
				continue
			}
			break
		}
		start := lx.off
		lx.advance()
		b.WriteString(lx.src[start:lx.off])
	}
	return token{kind: tString, text: b.String(), raw: lx.src[p.Offset:lx.off], pos: p}
}

func (lx *lexer) quotedIdent(p Pos) token {
	lx.advance()
	var b strings.Builder
	for {
		if lx.off >= len(lx.src) {
			return lx.illegal(p, "unterminated quoted identifier: the backtick opened here is never closed")
		}
		c := lx.src[lx.off]
		if c == '`' {
			lx.advance()
			if lx.peekByte(0) == '`' {
				lx.advance()
				b.WriteByte('`')
				continue
			}
			break
		}
		start := lx.off
		lx.advance()
		b.WriteString(lx.src[start:lx.off])
	}
	if b.Len() == 0 {
		return lx.illegal(p, "empty quoted identifier ``")
	}
	return token{kind: tQuoted, text: b.String(), raw: lx.src[p.Offset:lx.off], pos: p}
}

// quoteText quotes s for an error message.
func quoteText(s string) string {
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return "\"" + strings.ReplaceAll(s, "\n", "\\n") + "\""
}

// asciiUpper returns s with a-z in upper case and every other byte kept.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
