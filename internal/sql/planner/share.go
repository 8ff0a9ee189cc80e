package planner

import (
	"reflect"
	"slices"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Sub-plan reuse (Flink's table.optimizer.reuse-sub-plan-enabled): equal
// subtrees of the plans being translated (reflect.DeepEqual: same node
// kinds, column indexes, expressions, tables; functions compare by
// pointer, so anything holding a func value is never merged) are
// translated once, and their stream is consumed by each place that uses
// them. Nexmark q5 computes the same HOP count twice, once for each side
// of its join: it now runs once.
//
// A shared stream has several consumers, which the engine feeds through
// writers with the same rows: so an operator reading a shared node must
// not write into its rows (calc checks shared before writing in place),
// and Calc fusion stops at a shared Calc (fusing it would compute it
// again in each consumer).

// sharing is the translator's view of the equal subtrees.
type sharing struct {
	rep    map[Node]Node // node -> the first node equal to it
	refs   map[Node]int  // representative -> uses in the plans
	memo   map[Node]stream.Stream[table.Row]
	active map[Node]bool // representatives being translated
}

// share finds the equal subtrees of roots.
//
// A scan's partition filter (Scan.PartFilter, partprune.go) does not make
// subtrees different: they are compared without it, so that the plan's
// shape, and with it the operators' UIDs, is the same with or without
// partition pruning (a job resumes from a checkpoint of a binary that did
// not prune). The scans found equal then read the partitions any of them
// needs: their filters are ORed (sharedPartFilter).
func (tr *translator) share(roots ...Node) {
	filters := map[*Scan][]expr.Expr{}
	order := map[*Scan]int{} // plan order: the OR's terms in a stable order
	var strip func(n Node)
	strip = func(n Node) {
		if sc, ok := n.(*Scan); ok {
			if _, done := filters[sc]; !done {
				filters[sc] = sc.PartFilter
				order[sc] = len(order)
				sc.PartFilter = nil
			}
			return
		}
		for _, in := range n.Inputs() {
			strip(in)
		}
	}
	for _, n := range roots {
		strip(n)
	}
	tr.shareEqual(roots...)
	for sc, f := range filters {
		sc.PartFilter = f
	}
	// The scans of each group of equal subtrees, paired position by
	// position (the subtrees are equal: their shapes are the same).
	groups := map[*Scan]*[]*Scan{} // a scan -> the scans equal to it (itself included)
	join := func(a, b *Scan) {
		ga, gb := groups[a], groups[b]
		switch {
		case ga == nil && gb == nil:
			g := &[]*Scan{a}
			if b != a {
				*g = append(*g, b)
			}
			groups[a], groups[b] = g, g
		case ga == nil:
			*gb = append(*gb, a)
			groups[a] = gb
		case gb == nil:
			*ga = append(*ga, b)
			groups[b] = ga
		case ga != gb:
			*ga = append(*ga, *gb...)
			for _, sc := range *gb {
				groups[sc] = ga
			}
		}
	}
	var pair func(a, b Node)
	pair = func(a, b Node) {
		if sa, ok := a.(*Scan); ok {
			join(sa, b.(*Scan))
			return
		}
		ai, bi := a.Inputs(), b.Inputs()
		for i := range ai {
			pair(ai[i], bi[i])
		}
	}
	for n, r := range tr.sh.rep {
		if n != r {
			pair(r, n)
		}
	}
	done := map[*[]*Scan]bool{}
	for _, g := range groups {
		if done[g] {
			continue
		}
		done[g] = true
		slices.SortFunc(*g, func(a, b *Scan) int { return order[a] - order[b] })
		f := sharedPartFilter(*g)
		for _, sc := range *g {
			sc.PartFilter = f
		}
	}
}

// sharedPartFilter is the partition filter of one scan standing for the
// scans g: the OR of their filters (a partition is read when one of them
// keeps it), nil when one of them has none (it reads every partition).
func sharedPartFilter(g []*Scan) []expr.Expr {
	var ors []expr.Expr
	for _, sc := range g {
		if len(sc.PartFilter) == 0 {
			return nil
		}
		if slices.ContainsFunc(g, func(o *Scan) bool { return !reflect.DeepEqual(o.PartFilter, sc.PartFilter) }) {
			and := sc.PartFilter[0]
			if len(sc.PartFilter) > 1 {
				a, err := expr.NewAnd(sc.PartFilter...)
				if err != nil {
					return nil
				}
				and = a
			}
			ors = append(ors, and)
		}
	}
	if len(ors) == 0 { // all the same
		return g[0].PartFilter
	}
	or, err := expr.NewOr(ors...)
	if err != nil {
		return nil
	}
	return []expr.Expr{or}
}

// shareEqual finds the equal subtrees of roots (reflect.DeepEqual).
func (tr *translator) shareEqual(roots ...Node) {
	sh := &sharing{rep: map[Node]Node{}, refs: map[Node]int{}, memo: map[Node]stream.Stream[table.Row]{}, active: map[Node]bool{}}
	var reps []Node
	var walk func(n Node)
	walk = func(n Node) {
		r, ok := sh.rep[n]
		if !ok {
			if !tr.overProjectableScan(n) {
				for _, c := range reps {
					if reflect.TypeOf(c) == reflect.TypeOf(n) && reflect.DeepEqual(c, n) {
						r = c
						break
					}
				}
			}
			if r == nil {
				r = n
				reps = append(reps, n)
			}
			sh.rep[n] = r
		}
		sh.refs[r]++
		if sh.refs[r] > 1 {
			return // its inputs are counted once, under the first
		}
		for _, in := range n.Inputs() {
			walk(in)
		}
	}
	for _, n := range roots {
		walk(n)
	}
	tr.sh = sh
}

// unshare takes back the uses that the subtree n (not translated after
// all) counted, so that a subtree it shared with another place is that
// place's alone again.
func (tr *translator) unshare(n Node) {
	if tr.sh == nil {
		return
	}
	r, ok := tr.sh.rep[n]
	if !ok || tr.sh.refs[r] == 0 {
		return
	}
	tr.sh.refs[r]--
	if tr.sh.refs[r] > 0 {
		return // its inputs were counted once, under the first use
	}
	for _, in := range n.Inputs() {
		tr.unshare(in)
	}
}

// overProjectableScan reports whether n is a chain of Calcs over a scan
// whose source can project: such chains are not merged, so that each is
// fused down to the scan and pushes its projection into it; the scan is
// what is shared, through one projected source (scanshare.go). Merged, the
// lowest Calc would read every column of the source for all of them.
func (tr *translator) overProjectableScan(n Node) bool {
	if _, ok := n.(*Calc); !ok {
		return false
	}
	for {
		c, ok := n.(*Calc)
		if !ok {
			break
		}
		n = c.In
	}
	sc, ok := n.(*Scan)
	if !ok || sc.Changelog {
		return false
	}
	_, can := tr.p.Factories[sc.Table.Connector].(connector.ProjectableTableSource)
	return can
}

// shared reports whether n's stream has more than one consumer.
func (tr *translator) shared(n Node) bool {
	if tr.sh == nil {
		return false
	}
	r, ok := tr.sh.rep[n]
	return ok && tr.sh.refs[r] > 1
}

// buildShared returns the stream of n when n is shared (ok), translating
// it the first time.
func (tr *translator) buildShared(n Node) (s stream.Stream[table.Row], ok bool, err error) {
	if !tr.shared(n) {
		return s, false, nil
	}
	r := tr.sh.rep[n]
	if tr.sh.active[r] {
		return s, false, nil // the translation of r itself
	}
	if s, ok := tr.sh.memo[r]; ok {
		return s, true, nil
	}
	tr.sh.active[r] = true
	s, err = tr.build(n)
	delete(tr.sh.active, r)
	if err == nil {
		tr.sh.memo[r] = s
	}
	return s, true, err
}

// exclusive reports whether the rows of n's stream reach its consumer and
// no other operator: n is not shared, and neither is any input of a Union
// it is (a Union forwards its inputs' rows; UNION ALL of one subtree twice
// delivers each row twice).
func (tr *translator) exclusive(n Node) bool {
	if tr.shared(n) {
		return false
	}
	if u, ok := n.(*Union); ok {
		for _, in := range u.Ins {
			if !tr.exclusive(in) {
				return false
			}
		}
	}
	return true
}
