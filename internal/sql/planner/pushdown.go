package planner

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/stromio/strom/internal/sql/expr"
)

// FilterPushDownOption turns filter push-down through joins off with
// 'false': the plans are then those of the binaries before it (branch
// sqlpush), to compare with, and to resume a job whose plan should stay
// exactly as it was. Default 'true'.
const FilterPushDownOption = "strom.optimizer.join-filter-push-down"

func (p *Planner) filterPushDown() (bool, error) {
	switch v := p.Cat.Options[FilterPushDownOption]; v {
	case "", "true", "TRUE":
		return true, nil
	case "false", "FALSE":
		return false, nil
	default:
		return false, fmt.Errorf("SET '%s' = '%s': the value must be 'true' or 'false'", FilterPushDownOption, v)
	}
}

// Filter push-down through joins (Calcite's FilterJoinRule and
// JoinConditionPushRule, as Flink's FlinkFilterJoinRule applies them), a
// rewrite of the logical plan after binding (so EXPLAIN shows it):
//
//   - a conjunct of a filter above a join (a Calc's, looked up through the
//     Calcs between it and the join) that reads the columns of one input
//     only is also evaluated below the join, in a Calc over that input
//     (pushed: merged into the input's Calcs when they fuse, otherwise an
//     operator with a UID of its own, sql-pushed-<n>-calc), when that
//     input is not null-generating: both inputs of an inner join (regular,
//     interval, window), the left of a LEFT join, the right of a RIGHT
//     join, never an input of a FULL join; the probe side of a lookup or
//     event-time temporal join (never the versioned table: a filter there
//     would change which version is current);
//   - a conjunct of an outer join's ON condition that reads one input only
//     is also evaluated in the null-generating input (the right of a LEFT
//     join, the left of a RIGHT join), never in the preserved one (its
//     rows are kept, padded, whatever the condition says);
//   - a conjunct of a filter directly above an inner regular join that
//     reads both inputs becomes part of the join's condition (q4's
//     `B.dateTime BETWEEN A.dateTime AND A.expires`);
//   - a conjunct of a filter above an inner, left or right join that reads
//     only key columns of one side also filters the other input, over its
//     keys (Flink's pushFiltersToAnotherSide); from a null-generating side
//     only when it is not TRUE on NULLs (nullRejecting: `b.k IS NULL`
//     above a LEFT join keeps a's padded rows, FLINK-31273).
//
// Conjuncts that call a volatile function (PROCTIME(), CURRENT_TIMESTAMP
// ...) or a user-defined one (Session.RegisterScalar: nothing says it is
// deterministic, and a pushed conjunct is evaluated twice) never move, nor
// do the conjuncts after them into a join's condition. An outer join stays
// an outer join whatever the WHERE above it rejects (Calcite's
// simplification to an inner join is not done: the outer join's state
// carries partner counts that an inner join does not read, under the same
// UID).
//
// Savepoint compatibility: a join's state written by a plan without
// push-down holds rows that a pushed filter now drops before the join.
// So a pushed conjunct is not removed from where it was: the filter above
// the join (or the join's condition) still evaluates it, and such an old
// row can make no output the old plan did not. This costs one evaluation
// per joined row (the rows of the join's output, not of its inputs).
// The conjuncts moved into an inner join's condition are not kept above:
// the join makes exactly the pairs it made before, then filters them as
// the Calc did (the conjuncts before them in the filter in front of them,
// pushThrough). The Calcs added below a join take UIDs of their own
// namespace, and a Calc above a join that push-down empties still takes
// its number (calc.go), so every other operator keeps the UID it had
// (streamsql's TestNexmarkSQLUIDs).

// pushFilters applies filter push-down to the plan under root.
func (p *Planner) pushFilters(root Node) {
	parents := countParents(root)
	opts, err := p.compileOptions(nil)
	if err != nil {
		opts = nil // a bad time zone: an error where the plan compiles expressions
	}
	pe := &pushEnv{parents: parents, opts: opts}
	done := map[Node]bool{}
	var visit func(n Node)
	visit = func(n Node) {
		if done[n] {
			return
		}
		done[n] = true
		if c, ok := n.(*Calc); ok && (parents[c] == 1 || c.pushed) {
			pushCalc(c, pe)
		}
		pushJoinCond(n, pe)
		for _, in := range n.Inputs() {
			visit(in)
		}
	}
	visit(root)
}

// pushEnv is what the push-down of a plan reads: how many parents each
// node has, and the options expressions are folded with (nullRejecting).
type pushEnv struct {
	parents map[Node]int
	opts    []expr.Option
}

// Sub-plan reuse (share.go) merges equal subtrees, joins included: the
// same join under two WHEREs (of a UNION ALL, of two INSERTs of a
// statement set) is one operator, with one UID and one state. Push-down
// may make them differ (each WHERE pushes its own filters), and the job
// would then have a join more, and other UIDs after it, than the plan a
// savepoint was taken with. So when push-down loses such a merge, the
// plans are those without push-down: Query and Insert decide for one
// statement, KeepSharedJoins for the statements of a job.

// lostSharing reports whether fewer pairs of joins are equal in the plans
// pushed than in the plans unpushed (the same statements planned without
// push-down).
func lostSharing(pushed, unpushed []Node) bool {
	return equalJoins(unpushed) > equalJoins(pushed)
}

// equalJoins counts the pairs of distinct join nodes under roots that are
// equal (share.go's reflect.DeepEqual).
func equalJoins(roots []Node) int {
	n := 0
	js := joinsUnder(roots)
	for i := range js {
		for j := i + 1; j < len(js); j++ {
			if reflect.DeepEqual(js[i].n, js[j].n) {
				n++
			}
		}
	}
	return n
}

type ownedJoin struct {
	n    Node
	root int // the index of its root
}

// joinsUnder returns the distinct join nodes under roots.
func joinsUnder(roots []Node) []ownedJoin {
	var js []ownedJoin
	seen := map[Node]bool{}
	for i, r := range roots {
		var walk func(n Node)
		walk = func(n Node) {
			if seen[n] {
				return
			}
			seen[n] = true
			switch n.(type) {
			case *RegularJoin, *IntervalJoin, *IntervalOuterJoin, *WindowJoin, *LookupJoin, *TemporalJoin, *SemiJoin:
				js = append(js, ownedJoin{n, i})
			}
			for _, in := range n.Inputs() {
				walk(in)
			}
		}
		walk(r)
	}
	return js
}

// KeepSharedJoins returns the sinks of a job (a statement set) to plan:
// sinks, or, when push-down makes joins that sub-plan reuse would merge
// differ, those sinks planned without push-down (the plans, and UIDs, of
// before it).
func KeepSharedJoins(sinks []*Sink) []*Sink {
	var pushed, unpushed []Node
	for _, s := range sinks {
		pushed = append(pushed, s.In)
		if s.unpushed != nil {
			unpushed = append(unpushed, s.unpushed)
		} else {
			unpushed = append(unpushed, s.In)
		}
	}
	if !lostSharing(pushed, unpushed) {
		return sinks
	}
	// The sinks with a join that, planned without push-down, equals
	// another join keep that plan; all of them if that is not enough.
	keep := make([]bool, len(sinks))
	js := joinsUnder(unpushed)
	for i := range js {
		for j := i + 1; j < len(js); j++ {
			if reflect.DeepEqual(js[i].n, js[j].n) {
				keep[js[i].root], keep[js[j].root] = true, true
			}
		}
	}
	mixed := slices.Clone(pushed)
	for i := range sinks {
		if keep[i] {
			mixed[i] = unpushed[i]
		}
	}
	if lostSharing(mixed, unpushed) {
		mixed = unpushed
	}
	out := make([]*Sink, len(sinks))
	for i, s := range sinks {
		c := *s
		if mixed[i] != s.In {
			c.In, c.unpushed = mixed[i], nil
		}
		out[i] = &c
	}
	return out
}

// joinSides describes a join for push-down: its inputs' widths and which
// of them may receive conjuncts of a filter above it (where) or of its
// condition (on).
type joinSides struct {
	nl, nr         int
	whereL, whereR bool
	onL, onR       bool
	setL, setR     func(Node)
	left, right    Node
	innerRegular   *RegularJoin
	cond           *expr.Expr
	// lkeys, rkeys: the equi-join keys; derive: a conjunct of a filter
	// above over one side's key columns also filters the other side,
	// over its keys (inner, left and right joins).
	lkeys, rkeys []int
	derive       bool
}

func sidesOf(n Node) (joinSides, bool) {
	var s joinSides
	switch x := n.(type) {
	case *RegularJoin:
		s = joinSides{left: x.L, right: x.R, setL: func(m Node) { x.L = m }, setR: func(m Node) { x.R = m }, cond: &x.Cond}
		s.whereL = x.Kind == "INNER" || x.Kind == "LEFT"
		s.whereR = x.Kind == "INNER" || x.Kind == "RIGHT"
		s.onL = x.Kind == "INNER" || x.Kind == "RIGHT"
		s.onR = x.Kind == "INNER" || x.Kind == "LEFT"
		if x.Kind == "INNER" {
			s.innerRegular = x
		}
		s.lkeys, s.rkeys, s.derive = x.LKeys, x.RKeys, x.Kind != "FULL"
	case *IntervalJoin:
		s = joinSides{left: x.L, right: x.R, setL: func(m Node) { x.L = m }, setR: func(m Node) { x.R = m }, whereL: true, whereR: true}
		s.lkeys, s.rkeys, s.derive = x.LKeys, x.RKeys, true
	case *IntervalOuterJoin:
		if !x.Proctime {
			return s, false
		}
		// A processing-time interval join (intervaljoin_proc.go), as the
		// regular join it was planned as before: its time bounds are not
		// in Cond, which moves no conjunct in (not innerRegular).
		s = joinSides{left: x.L, right: x.R, setL: func(m Node) { x.L = m }, setR: func(m Node) { x.R = m }, cond: &x.Cond}
		s.whereL = x.Kind == "INNER" || x.Kind == "LEFT"
		s.whereR = x.Kind == "INNER" || x.Kind == "RIGHT"
		s.onL = x.Kind == "INNER" || x.Kind == "RIGHT"
		s.onR = x.Kind == "INNER" || x.Kind == "LEFT"
		s.lkeys, s.rkeys, s.derive = x.LKeys, x.RKeys, x.Kind != "FULL"
	case *WindowJoin:
		if x.Kind != "INNER" && x.Kind != "LEFT" && x.Kind != "RIGHT" && x.Kind != "FULL" {
			return s, false // semi/anti: the output is the left input's columns
		}
		s = joinSides{left: x.L, right: x.R, setL: func(m Node) { x.L = m }, setR: func(m Node) { x.R = m }, cond: &x.Cond}
		s.whereL = x.Kind == "INNER" || x.Kind == "LEFT"
		s.whereR = x.Kind == "INNER" || x.Kind == "RIGHT"
		s.onL = x.Kind == "INNER" || x.Kind == "RIGHT"
		s.onR = x.Kind == "INNER" || x.Kind == "LEFT"
		s.lkeys, s.rkeys, s.derive = x.LKeys, x.RKeys, x.Kind != "FULL"
	case *LookupJoin:
		// The table side is not an input of the stream: only the probe
		// side receives conjuncts.
		s = joinSides{left: x.L, right: x.R, setL: func(m Node) { x.L = m }, cond: &x.Cond}
		s.whereL = x.Kind == "INNER" || x.Kind == "LEFT"
		s.onL = x.Kind == "INNER"
	case *TemporalJoin:
		// Never into the versioned table: a filter there would change
		// which version is valid at a time.
		s = joinSides{left: x.L, right: x.R, setL: func(m Node) { x.L = m }, cond: &x.Cond}
		s.whereL = x.Kind == "INNER" || x.Kind == "LEFT"
		s.onL = x.Kind == "INNER"
	case *Correlate:
		// UNNEST (unnest.go): a conjunct over the input's columns filters
		// the input rows before they are expanded (Calcite's
		// FilterCorrelateRule). The input's values are those of each row
		// it expands to, LEFT's padded row too, so this holds for both.
		s = joinSides{left: x.In, right: unnestSide(x), setL: func(m Node) { x.In = m }, whereL: true}
	default:
		return s, false
	}
	s.nl, s.nr = len(s.left.Cols()), len(s.right.Cols())
	if len(n.Cols()) != s.nl+s.nr {
		return s, false
	}
	return s, true
}

// side returns 0 when e reads only left columns, 1 only right ones, 2
// both, -1 when e may not move (a volatile call, a call of a user-defined
// function, no column read, an expression kind calcMapExpr does not know).
func side(e expr.Expr, nl, nr int) int {
	if calcVolatile(e) || callsUserDefined(e) {
		return -1
	}
	uses, ok := calcColumnUses([]expr.Expr{e})
	if !ok || len(uses) == 0 {
		return -1
	}
	l, r := false, false
	for i := range uses {
		switch {
		case i >= 0 && i < nl:
			l = true
		case i >= nl && i < nl+nr:
			r = true
		default:
			return -1
		}
	}
	switch {
	case l && r:
		return 2
	case l:
		return 0
	}
	return 1
}

// callsUserDefined reports whether e calls a user-defined function
// (Session.RegisterScalar, or a name CREATE FUNCTION gave one): nothing
// says it is deterministic, and a pushed conjunct is evaluated twice (below
// the join, and above it, where it stays), so it never moves.
func callsUserDefined(e expr.Expr) bool {
	u := false
	if _, ok := calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
		if c, ok := x.(*expr.Call); ok && c.Overload != nil && c.Overload.UserDefined {
			u = true
		}
		return nil, false
	}); !ok {
		return true
	}
	return u
}

// nullRejecting reports whether e (a conjunct over the join's output)
// is not TRUE when every column it reads is NULL: then it drops the rows
// an outer join pads with NULLs for that side, and filtering the other
// (preserved) side by it, over the keys, loses no row that passes it
// (`b.k IS NULL`, `COALESCE(b.k, 0) < 2` are TRUE on padded rows: they
// must not filter a). Conservative: false when e does not fold to a
// constant with NULL columns.
func nullRejecting(e expr.Expr, opts []expr.Option) bool {
	n, ok := calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
		if c, ok := x.(*expr.Column); ok {
			return expr.NullLit(c.T), true
		}
		return nil, false
	})
	if !ok {
		return false
	}
	l, ok := calcFold(n, opts).(*expr.Literal)
	return ok && (l.V.IsNull() || !l.V.AsBool())
}

// overKeys rewrites e, a conjunct over the join's output that reads only
// key columns of the left side (fromLeft) or of the right one, over the
// other side's input: each column becomes the other side's column of the
// same key (of the same type, nullability included). ok is false when e
// reads a column that is no key of such a pair.
func (s joinSides) overKeys(e expr.Expr, fromLeft bool) (expr.Expr, bool) {
	if s.left == nil || s.right == nil {
		return nil, false
	}
	lc, rc := s.left.Cols(), s.right.Cols()
	found := true
	out, ok := calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
		c, ok := x.(*expr.Column)
		if !ok {
			return nil, false
		}
		for k := range s.lkeys {
			l, r := s.lkeys[k], s.rkeys[k]
			if fromLeft && c.Index == l && lc[l].Type.Equal(rc[r].Type) {
				return expr.ColumnRef(r, rc[r].Name, rc[r].Type), true
			}
			if !fromLeft && c.Index == s.nl+r && lc[l].Type.Equal(rc[r].Type) {
				return expr.ColumnRef(l, lc[l].Name, lc[l].Type), true
			}
		}
		found = false
		return x, true
	})
	return out, ok && found
}

// shift rewrites the column references of e by -by.
func shift(e expr.Expr, by int) (expr.Expr, bool) {
	if by == 0 {
		return e, true
	}
	return calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
		if c, ok := x.(*expr.Column); ok {
			return expr.ColumnRef(c.Index-by, c.Name, c.T), true
		}
		return nil, false
	})
}

// pushInto adds conjuncts (over in's columns) as a filter over in and
// returns the new input. Into a join reached once they go through it
// (pushThrough), and only those that stay above it are a pushed Calc over
// it (the originals are kept where they were, so nothing is lost); over
// anything else: into the pushed Calc already there, or a new one.
func pushInto(in Node, conj []expr.Expr, pe *pushEnv) Node {
	if len(conj) == 0 {
		return in
	}
	if s, ok := sidesOf(in); ok && pe.parents[in] == 1 {
		conj, _ = pushThrough(s, conj, pe)
		if len(conj) == 0 {
			return in
		}
	}
	if c, ok := in.(*Calc); ok && c.pushed {
		var have []expr.Expr
		if c.Filter != nil {
			have = calcConjuncts(c.Filter)
		}
		c.Filter = andOf(appendNew(have, conj))
		return c
	}
	c := &Calc{In: in, pushed: true, cols: in.Cols()}
	for i, col := range in.Cols() {
		c.Exprs = append(c.Exprs, expr.ColumnRef(i, col.Name, col.Type))
	}
	c.Filter = andOf(appendNew(nil, conj))
	return c
}

// pushThrough pushes conj (over the output of the join s describes) into
// the join's inputs and, over both inputs of an inner regular join, into
// its condition. above: the conjuncts that went into no input and not
// into the condition; moved: those that went into the condition.
//
// The conjuncts before a moved one in conj go into the condition too, in
// front of it (and stay where they were): the filter evaluated them first,
// so they guard it (`b.y <> 0 AND a.x / b.y > 1`), and a row of a join's
// state written without push-down may not pass them. A moved conjunct
// after a volatile one, or one that calls a user-defined function, stays
// above.
func pushThrough(s joinSides, conj []expr.Expr, pe *pushEnv) (above, moved []expr.Expr) {
	var toL, toR, cond []expr.Expr
	guards := 0 // conj[:guards] are in cond
	volatile := false
	for i, e := range conj {
		sd := side(e, s.nl, s.nr)
		// Over the join keys to the other side too (Flink's
		// pushFiltersToAnotherSide): a pair has equal keys, so a row of the
		// other side whose keys fail the conjunct is in no pair that
		// passes. From a null-generating side (the right of a LEFT join,
		// the left of a RIGHT join) only a null-rejecting conjunct: the
		// other side's rows without a partner are padded with NULLs there,
		// and pass one that is TRUE on NULL (FLINK-31273). In conj's order
		// with the conjuncts pushed directly, so that a guard stays in
		// front of what it guards.
		if s.derive {
			switch sd {
			case 0:
				if s.whereL || nullRejecting(e, pe.opts) {
					if d, ok := s.overKeys(e, true); ok {
						toR = append(toR, d)
					}
				}
			case 1:
				if s.whereR || nullRejecting(e, pe.opts) {
					if d, ok := s.overKeys(e, false); ok {
						toL = append(toL, d)
					}
				}
			}
		}
		switch sd {
		case 0:
			if s.whereL {
				toL = append(toL, e)
				continue
			}
		case 1:
			if s.whereR {
				if r, ok := shift(e, s.nl); ok {
					toR = append(toR, r)
					continue
				}
			}
		case 2:
			if s.innerRegular != nil && !volatile {
				cond = append(append(cond, conj[guards:i]...), e)
				moved = append(moved, e)
				guards = i + 1
				continue
			}
		}
		volatile = volatile || calcVolatile(e) || callsUserDefined(e)
		above = append(above, e)
	}
	if len(cond) > 0 {
		var have []expr.Expr
		if *s.cond != nil {
			have = calcConjuncts(*s.cond)
		}
		*s.cond = andOf(appendNew(have, cond))
	}
	if len(toL) > 0 {
		s.setL(pushInto(s.left, toL, pe))
	}
	if len(toR) > 0 {
		s.setR(pushInto(s.right, toR, pe))
	}
	return above, moved
}

// appendNew appends the conjuncts of add not already in have (equal by
// conjKey).
func appendNew(have, add []expr.Expr) []expr.Expr {
	seen := map[string]bool{}
	for _, h := range have {
		seen[conjKey(h)] = true
	}
	for _, a := range add {
		if k := conjKey(a); !seen[k] {
			seen[k] = true
			have = append(have, a)
		}
	}
	return have
}

// conjKey identifies a conjunct by its structure: its text with each
// column printed as its index and type (a column prints as its bare name:
// `a.v < b.v` and `b.v < a.v` are both (`v` < `v`)). An expression kind
// calcMapExpr does not know is equal to no other conjunct.
func conjKey(e expr.Expr) string {
	k, ok := calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
		if c, ok := x.(*expr.Column); ok {
			return expr.ColumnRef(c.Index, fmt.Sprintf("$%d:%s", c.Index, c.T), c.T), true
		}
		return nil, false
	})
	if !ok {
		return fmt.Sprintf("%p", e)
	}
	return k.String()
}

func andOf(cs []expr.Expr) expr.Expr {
	switch len(cs) {
	case 0:
		return nil
	case 1:
		return cs[0]
	}
	e, err := expr.NewAnd(cs...)
	if err != nil {
		return nil // not reached: every conjunct is BOOLEAN
	}
	return e
}

// pushCalc pushes the conjuncts of c's filter into the inputs of the join
// below c (through Calcs that only project or filter). c keeps them all
// (for the state of older plans) but those that became the condition of
// the inner regular join directly below it.
func pushCalc(c *Calc, pe *pushEnv) {
	if c.Filter == nil {
		return
	}
	conj := calcConjuncts(c.Filter)
	// Down through the Calcs below c (each reached once): conjuncts
	// become expressions over the join's columns.
	n := c.In
	direct := true
	for {
		inner, ok := n.(*Calc)
		if !ok || pe.parents[inner] != 1 {
			break
		}
		// The inner filter's conjuncts first: they are evaluated before
		// the outer ones, which they may guard (as fuseCalc orders them).
		var down []expr.Expr
		if inner.Filter != nil {
			down = append(down, calcConjuncts(inner.Filter)...)
		}
		for _, e := range conj {
			m, ok := calcMapExpr(e, func(x expr.Expr) (expr.Expr, bool) {
				if col, ok := x.(*expr.Column); ok && col.Index >= 0 && col.Index < len(inner.Exprs) {
					return inner.Exprs[col.Index], true
				}
				return nil, false
			})
			if ok {
				down = append(down, m)
			}
		}
		conj, n, direct = down, inner.In, false
	}
	s, ok := sidesOf(n)
	if !ok || pe.parents[n] != 1 {
		return
	}
	if !direct {
		s.innerRegular = nil // the condition only from the Calc right above
	}
	_, cond := pushThrough(s, conj, pe)
	if len(cond) == 0 {
		return
	}
	moved := map[string]bool{}
	for _, e := range cond {
		moved[conjKey(e)] = true
	}
	var keep []expr.Expr
	for _, e := range calcConjuncts(c.Filter) {
		if !moved[conjKey(e)] {
			keep = append(keep, e)
		}
	}
	c.Filter = andOf(keep)
	c.movedUID = !c.pushed
}

// pushJoinCond pushes the single-input conjuncts of n's condition into
// the inputs that may take them (the join keeps its whole condition).
func pushJoinCond(n Node, pe *pushEnv) {
	s, ok := sidesOf(n)
	if !ok || s.cond == nil || *s.cond == nil || pe.parents[n] != 1 {
		return
	}
	var toL, toR []expr.Expr
	for _, e := range calcConjuncts(*s.cond) {
		switch side(e, s.nl, s.nr) {
		case 0:
			if s.onL {
				toL = append(toL, e)
			}
		case 1:
			if s.onR && s.setR != nil {
				if r, ok := shift(e, s.nl); ok {
					toR = append(toR, r)
				}
			}
		}
	}
	if len(toL) > 0 {
		s.setL(pushInto(s.left, toL, pe))
	}
	if len(toR) > 0 {
		s.setR(pushInto(s.right, toR, pe))
	}
}

// countParents counts, for every node under root, the nodes that read it
// (root itself counts once): a node read by more than one is shared.
func countParents(root Node) map[Node]int {
	parents := map[Node]int{}
	var count func(n Node)
	count = func(n Node) {
		parents[n]++
		if parents[n] > 1 {
			return
		}
		for _, in := range n.Inputs() {
			count(in)
		}
	}
	count(root)
	return parents
}
