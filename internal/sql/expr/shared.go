package expr

import (
	"slices"
	"strconv"
	"strings"

	"github.com/stromio/strom/table"
)

// Shared compiles the expressions of one row function (a Calc's filters
// and projections) together, so that work they have in common is done at
// most once per row:
//
//   - a deterministic call that occurs more than once (by structure:
//     function, overload, arguments down to column indexes and literals) is
//     evaluated the first time a row reaches it and its value (or error)
//     reused by the other occurrences for that row; an occurrence the row
//     does not reach (a CASE branch not taken, an AND/OR operand not
//     evaluated) evaluates nothing, so an error inside it is raised only
//     when it would be without the sharing;
//   - SPLIT_INDEX calls of one text with one constant non-empty delimiter
//     and constant indexes (Nexmark q22's three directories of the URL)
//     share one scan of the text: the first one reached finds the fields up
//     to the largest index, each returns its field as a substring.
//
// Unlike [Compile]'s, the programs of a Shared hold the values of the
// current row: they are for one goroutine, and Next must be called before
// each row. Volatile calls (CURRENT_TIMESTAMP, UUID ...) and
// user-defined functions are never shared.
type Shared struct {
	c      compiler
	gen    uint64 // the current row; cells of another are stale
	count  map[string]int
	cells  map[string]*memoCell
	splits map[string]*splitGroup
	lowers map[string]*lowerGroup
}

type memoCell struct {
	n   node // the shared node (constant ones are used as they are)
	gen uint64
	v   table.Value
	err error
}

// splitGroup is the shared scan of SPLIT_INDEX(x, d, k) calls.
type splitGroup struct {
	d     string
	max   int64 // the largest index
	calls int
	x     *node // x compiled, when a member was
	gen   uint64
	err   error
	s     string
	nf    int   // fields found (at most max+1)
	at    []int // field i is s[at[2i]:at[2i+1]]
}

// lowerGroup is the shared match of one VARCHAR x against constants,
// case-insensitively: the sites LOWER(x) = 'k', LOWER(x) [NOT] IN ('k1',
// ...) and CASE WHEN LOWER(x) = 'k1' ... (Nexmark q21's filter and
// channel ids) of one x. The first site a row reaches evaluates x and
// finds which of the union of their constants strings.ToLower(x) equals
// (lowerIndex: the constants are distinct, so at most one); each site maps
// that to its own first equal constant.
type lowerGroup struct {
	ks    []string // the union of the sites' constants, distinct
	lens  lowerLen // lowerLens(ks), when a site was compiled
	sites int
	x     *node // x compiled, when a site was
	col   int   // x's column index when x is a column, else -1
	gen   uint64
	err   error
	null  bool
	u     int // the index in ks of strings.ToLower(x), -1 when none
}

// NewShared prepares the compilation of es (every expression the row
// function will compile through it).
func NewShared(es []Expr, opts ...Option) *Shared {
	env := newEnv(opts)
	s := &Shared{gen: 1, count: map[string]int{}, cells: map[string]*memoCell{}, splits: map[string]*splitGroup{}, lowers: map[string]*lowerGroup{}}
	s.c = compiler{env: env, sh: s}
	for _, e := range es {
		s.countIn(e)
	}
	return s
}

// Needed reports whether anything is shared: when not, the programs of
// [Compile] do the same work and are safe for concurrent use.
func (s *Shared) Needed() bool {
	for _, n := range s.count {
		if n > 1 {
			return true
		}
	}
	for _, g := range s.splits {
		if g.calls > 1 {
			return true
		}
	}
	for _, g := range s.lowers {
		if g.sites > 1 {
			return true
		}
	}
	return false
}

// Next starts a new row: every shared value is computed again when
// reached.
func (s *Shared) Next() { s.gen++ }

// Compile compiles e (one of the expressions given to NewShared).
func (s *Shared) Compile(e Expr) (Program, error) {
	n, err := s.c.compile(e)
	if err != nil {
		return nil, err
	}
	return n.p, nil
}

// CompilePredicate is [CompilePredicate] through s.
func (s *Shared) CompilePredicate(e Expr) (func(row *table.Row) (bool, error), error) {
	return compilePredicate(e, &s.c)
}

func (s *Shared) countIn(e Expr) {
	switch e := e.(type) {
	case *Call:
		if k := memoKey(e); k != "" {
			s.count[k]++
		}
		if k, d, i, ok := splitShape(e); ok {
			g := s.splits[k+"\x00"+d]
			if g == nil {
				g = &splitGroup{d: d}
				s.splits[k+"\x00"+d] = g
			}
			g.calls++
			g.max = max(g.max, i)
		}
		if e.Name == "=" && len(e.Args) == 2 && e.Overload != nil && !e.Overload.UserDefined {
			for j := range 2 {
				if x, ok := lowerOf(e.Args[j]); ok {
					if k, ok := lowerLiterals(e.Args[1-j : 2-j]); ok {
						s.addLower(x, k)
						break
					}
				}
			}
		}
		for _, a := range e.Args {
			s.countIn(a)
		}
	case *Cast:
		s.countIn(e.X)
	case *Case:
		if x, ks, ok := lowerCaseShape(e); ok {
			s.addLower(x, ks)
		}
		for _, w := range e.Whens {
			s.countIn(w.Cond)
			s.countIn(w.Then)
		}
		s.countIn(e.Else)
	case *Coalesce:
		for _, a := range e.Args {
			s.countIn(a)
		}
	case *IsNull:
		s.countIn(e.X)
	case *IsBool:
		s.countIn(e.X)
	case *Not:
		s.countIn(e.X)
	case *Logic:
		for _, a := range e.Args {
			s.countIn(a)
		}
	case *In:
		if x, ok := lowerOf(e.X); ok {
			if ks, ok := lowerLiterals(e.List); ok {
				s.addLower(x, ks)
			}
		}
		s.countIn(e.X)
		for _, a := range e.List {
			s.countIn(a)
		}
	case *Between:
		s.countIn(e.X)
		s.countIn(e.Lo)
		s.countIn(e.Hi)
	case *Like:
		s.countIn(e.X)
		s.countIn(e.Pattern)
	case *IsDistinct:
		s.countIn(e.X)
		s.countIn(e.Y)
	}
}

// reuse compiles e when it is shared: ok is false when it is not.
func (s *Shared) reuse(c *compiler, e Expr) (node, bool, error) {
	call, isCall := e.(*Call)
	if !isCall {
		return node{}, false, nil
	}
	if k, d, i, ok := splitShape(call); ok {
		if g := s.splits[k+"\x00"+d]; g != nil && g.calls > 1 {
			return s.splitNode(c, call, g, i)
		}
	}
	k := memoKey(call)
	if k == "" || s.count[k] < 2 {
		return node{}, false, nil
	}
	if cl := s.cells[k]; cl != nil {
		return cl.n, true, nil
	}
	inner, err := c.compileNode(call)
	if err != nil {
		return node{}, true, err
	}
	cl := &memoCell{n: inner}
	s.cells[k] = cl
	if inner.constant {
		return inner, true, nil
	}
	p := inner.p
	cl.n = node{p: func(r *table.Row) (table.Value, error) {
		if cl.gen == s.gen {
			return cl.v, cl.err
		}
		v, err := p(r)
		cl.gen, cl.v, cl.err = s.gen, v, err
		return v, err
	}}
	return cl.n, true, nil
}

// splitNode is member SPLIT_INDEX(x, d, i) of g.
func (s *Shared) splitNode(c *compiler, call *Call, g *splitGroup, i int64) (node, bool, error) {
	if g.x == nil {
		x, err := c.compile(call.Args[0])
		if err != nil {
			return node{}, true, err
		}
		g.x = &x
		g.at = make([]int, 2*(g.max+1))
	}
	if g.x.constant {
		n, err := c.compileNode(call)
		return n, true, err
	}
	return node{p: func(r *table.Row) (table.Value, error) {
		if g.gen != s.gen {
			g.scan(r, s.gen)
		}
		if g.err != nil {
			return table.Null, wrapErr(call, g.err)
		}
		if int(i) >= g.nf {
			return table.Null, nil
		}
		return table.Str(g.s[g.at[2*i]:g.at[2*i+1]]), nil
	}}, true, nil
}

// scan evaluates x for the row and finds its fields 0..max (splitField's).
func (g *splitGroup) scan(r *table.Row, gen uint64) {
	g.gen, g.nf, g.s = gen, 0, ""
	v, err := g.x.p(r)
	g.err = err
	if err != nil || v.IsNull() {
		return
	}
	s := v.AsString()
	if s == "" {
		return // no fields
	}
	g.s = s
	if len(g.d) == 1 {
		// One pass over the bytes: no call per field (URLs are short).
		c, start := g.d[0], 0
		for i := 0; i < len(s); i++ {
			if s[i] != c {
				continue
			}
			g.at[2*g.nf], g.at[2*g.nf+1] = start, i
			g.nf++
			if int64(g.nf) > g.max {
				return
			}
			start = i + 1
		}
		g.at[2*g.nf], g.at[2*g.nf+1] = start, len(s)
		g.nf++
		return
	}
	pos := 0
	for int64(g.nf) <= g.max {
		var j int
		if len(g.d) == 1 {
			j = strings.IndexByte(s[pos:], g.d[0])
		} else {
			j = strings.Index(s[pos:], g.d)
		}
		g.at[2*g.nf] = pos
		g.nf++
		if j < 0 {
			g.at[2*g.nf-1] = len(s)
			return
		}
		g.at[2*g.nf-1] = pos + j
		pos += j + len(g.d)
	}
}

// maxSharedSplitIndex bounds the index of a shared SPLIT_INDEX: the scan
// keeps two ints per field up to the group's largest index, so a larger
// literal (valid SQL, mostly NULL) is evaluated on its own.
const maxSharedSplitIndex = 255

// splitShape reports whether e is SPLIT_INDEX(x, 'd', i) with a constant
// non-empty delimiter and a constant index in 0..maxSharedSplitIndex, and
// x's key.
func splitShape(e *Call) (key, d string, i int64, ok bool) {
	if e.Name != "SPLIT_INDEX" || e.Overload == nil || e.Overload.UserDefined || len(e.Args) != 3 {
		return "", "", 0, false
	}
	dl, ok1 := e.Args[1].(*Literal)
	il, ok2 := e.Args[2].(*Literal)
	if !ok1 || !ok2 || dl.V.IsNull() || il.V.IsNull() || dl.V.AsString() == "" || il.V.AsInt() < 0 || il.V.AsInt() > maxSharedSplitIndex {
		return "", "", 0, false
	}
	key = argKey(e.Args[0])
	if key == "" {
		return "", "", 0, false
	}
	return key, dl.V.AsString(), il.V.AsInt(), true
}

// memoKey is the structural key of a call that may be shared, "" when it
// may not be (volatile, user-defined, or over expressions other than
// calls, casts, columns and literals).
func memoKey(e *Call) string {
	if e.Overload == nil || e.Overload.Volatile || e.Overload.UserDefined {
		return ""
	}
	var b strings.Builder
	b.WriteString(e.Name)
	b.WriteByte('/')
	b.WriteString(e.Overload.Sig)
	b.WriteByte('(')
	for i, a := range e.Args {
		if i > 0 {
			b.WriteByte(',')
		}
		k := argKey(a)
		if k == "" {
			return ""
		}
		b.WriteString(k)
	}
	b.WriteString(")->")
	b.WriteString(e.T.String())
	return b.String()
}

func argKey(e Expr) string {
	switch e := e.(type) {
	case *Column:
		return "$" + strconv.Itoa(e.Index) + ":" + e.T.String()
	case *Literal:
		return "L" + strconv.Quote(e.V.String()) + ":" + e.T.String()
	case *Cast:
		k := argKey(e.X)
		if k == "" {
			return ""
		}
		return "CAST(" + k + "->" + e.T.String() + ":" + strconv.FormatBool(e.Try) + ")"
	case *Call:
		return memoKey(e)
	}
	return ""
}

// addLower counts a site matching LOWER(x) against ks in x's group.
func (s *Shared) addLower(x Expr, ks []string) {
	k := argKey(x)
	if k == "" {
		return
	}
	g := s.lowers[k]
	if g == nil {
		g = &lowerGroup{col: -1}
		s.lowers[k] = g
	}
	g.sites++
	for _, c := range ks {
		if !slices.Contains(g.ks, c) {
			g.ks = append(g.ks, c)
		}
	}
}

// lowerSite returns the evaluator of the site of x with constants ks
// (which are in x's group): it gives for the row the index of the first
// constant of ks that strings.ToLower(x) equals, -1 when none; null when x
// is NULL; x's error. ok is false when x has no group of several sites
// (the site then evaluates on its own).
func (s *Shared) lowerSite(c *compiler, x Expr, ks []string) (f func(r *table.Row) (i int, null bool, err error), ok bool, err error) {
	k := argKey(x)
	if k == "" {
		return nil, false, nil
	}
	g := s.lowers[k]
	if g == nil || g.sites < 2 {
		return nil, false, nil
	}
	m := make([]int, len(g.ks)) // group index -> the site's
	for u, gk := range g.ks {
		m[u] = slices.Index(ks, gk)
	}
	for _, c := range ks {
		if !slices.Contains(g.ks, c) {
			return nil, false, nil // not counted (not expected)
		}
	}
	if g.x == nil {
		xn, err := c.compile(x)
		if err != nil {
			return nil, true, err
		}
		if xn.constant {
			return nil, false, nil
		}
		g.x = &xn
		g.lens = lowerLens(g.ks)
		g.col = identityColumn(x)
	}
	return func(r *table.Row) (int, bool, error) {
		if g.gen != s.gen {
			g.eval(r, s.gen)
		}
		if g.err != nil || g.null {
			return -1, g.null, g.err
		}
		if g.u < 0 {
			return -1, false, nil
		}
		return m[g.u], false, nil
	}, true, nil
}

// identityColumn is the column index of x when x is a column reference
// or an identity cast of one (compileCast's node of it is the column's:
// Nexmark's VARCHAR(1) channel read as a STRING), else -1.
func identityColumn(x Expr) int {
	for {
		cst, ok := x.(*Cast)
		if !ok || cst.Try || !identityCast(cst.X.Type(), cst.T) {
			break
		}
		x = cst.X
	}
	if col, ok := x.(*Column); ok && col.Index >= 0 {
		return col.Index
	}
	return -1
}

// eval evaluates x for the row and matches it.
func (g *lowerGroup) eval(r *table.Row, gen uint64) {
	var v table.Value
	var err error
	if g.col >= 0 && g.col < len(r.Fields) {
		v = r.Fields[g.col]
	} else {
		v, err = g.x.p(r) // the generic path's error
	}
	g.gen, g.err, g.null, g.u = gen, err, false, -1
	if err != nil {
		return
	}
	if v.IsNull() {
		g.null = true
		return
	}
	g.u = lowerIndex(v.AsString(), g.ks, g.lens)
}
