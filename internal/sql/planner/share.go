package planner

import (
	"reflect"

	"github.com/stromio/strom/connector"
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
func (tr *translator) share(roots ...Node) {
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
