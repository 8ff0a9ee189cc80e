package planner

import (
	"slices"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/expr"
)

// A unique key of an insert-only node's output: the values at paths (a
// column index, then field indexes into ROW types) that no two rows the
// node ever emits share (two NULLs counting as equal). With tag >= 0 the
// key holds only among the rows whose integer column tag equals tagValue
// (a connector's tagged union: Nexmark's event_type); a filter
// `tag = tagValue` above makes it a key of all the rows that pass.
//
// Unique keys come from a connector that states them
// (connector.UniqueKeyTableSource; not from a table's PRIMARY KEY NOT
// ENFORCED: see scanUniqueKeys), and from a window aggregation's
// output (its keys and window bounds: each window fires once). They are
// derived through Calc filters and projections (uniqueKeys), like
// Updating() is derived through the plan, and used by the regular join
// (RegularJoin.uniqueSide, outerjoin.go's unique mode).
type ukey struct {
	paths    [][]int
	tag      int
	tagValue int64
}

// scanUniqueKeys are the unique keys of a scan (Scan.uniq): those its
// connector f states for the table tc, for an insert-only scan.
func scanUniqueKeys(f any, tc connector.TableContext, changelog bool) []ukey {
	if changelog {
		return nil // an upsert source's primary key is its update key
	}
	// A PRIMARY KEY NOT ENFORCED is not a unique key here: an insert-only
	// table with one is a versioned table (every row a new version of its
	// key: temporal joins), and a file, journal or Kafka table that an
	// updating query wrote with its key reads back as insert-only rows
	// repeating it. The unique mode would lose those rows' pairs.
	var out []ukey
	if us, ok := f.(connector.UniqueKeyTableSource); ok {
		for _, k := range us.UniqueKeys(tc) {
			if len(k.Paths) == 0 {
				continue
			}
			tag := k.Tag
			if tag < 0 {
				tag = -1
			}
			out = append(out, ukey{paths: k.Paths, tag: tag, tagValue: k.TagValue})
		}
	}
	return out
}

// uniqueKeys returns the unique keys of n's output known to the planner
// (ukey), nil for an updating n or when none is known.
func uniqueKeys(n Node) []ukey {
	if n.Updating() {
		return nil
	}
	switch x := n.(type) {
	case *Scan:
		return x.uniq
	case *Restamp:
		return uniqueKeys(x.In) // the same rows, re-stamped
	case *Calc:
		return calcUniqueKeys(x)
	case *WindowAgg:
		if x.Kind != "TUMBLE" && x.Kind != "HOP" && x.Kind != "CUMULATE" {
			return nil // a session window may merge
		}
		// One row per key and window (the keys, then window_start and
		// window_end).
		k := ukey{tag: -1}
		for i := range x.Keys {
			k.paths = append(k.paths, []int{i})
		}
		k.paths = append(k.paths, []int{len(x.Keys)}, []int{len(x.Keys) + 1})
		return []ukey{k}
	}
	return nil
}

// calcUniqueKeys maps the unique keys of c's input through its filter and
// projection: a filter keeps a key (it only drops rows) and satisfies a
// key's tag when it has the conjunct `tag = tagValue`; a key survives
// when every path (and an unsatisfied tag) is projected, as a column or
// a field access.
func calcUniqueKeys(c *Calc) []ukey {
	in := uniqueKeys(c.In)
	if len(in) == 0 {
		return nil
	}
	eq := map[int]int64{}
	if c.Filter != nil {
		for _, f := range calcConjuncts(c.Filter) {
			if col, lit, ok := calcColEqLit(f); ok && lit.T.IsInteger() {
				eq[col] = lit.V.AsInt()
			}
		}
	}
	// project returns the output path of input path p.
	project := func(p []int) ([]int, bool) {
		best, bestLen := -1, 0
		for i, e := range c.Exprs {
			q, ok := calcFieldPath(e)
			if ok && len(q) <= len(p) && slices.Equal(q, p[:len(q)]) && len(q) > bestLen {
				best, bestLen = i, len(q)
			}
		}
		if best < 0 {
			return nil, false
		}
		return append([]int{best}, p[bestLen:]...), true
	}
	var out []ukey
	for _, k := range in {
		nk := ukey{tag: -1}
		if k.tag >= 0 {
			if v, ok := eq[k.tag]; !ok || v != k.tagValue {
				q, ok := project([]int{k.tag})
				if !ok || len(q) != 1 {
					continue
				}
				nk.tag, nk.tagValue = q[0], k.tagValue
			}
		}
		ok := true
		for _, p := range k.paths {
			q, found := project(p)
			if !found {
				ok = false
				break
			}
			nk.paths = append(nk.paths, q)
		}
		if ok {
			out = append(out, nk)
		}
	}
	return out
}

// joinUniqueKey reports whether some unique key of n (without a tag, of
// columns, not fields) lies within the columns keys: then n has at most
// one row per value of keys, ever.
func joinUniqueKey(n Node, keys []int) bool {
	for _, k := range uniqueKeys(n) {
		if k.tag >= 0 {
			continue
		}
		ok := true
		for _, p := range k.paths {
			if len(p) != 1 || !slices.Contains(keys, p[0]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Sides of a regular join whose input has a unique key within its join
// keys (RegularJoin.uniqueSide).
const (
	uniqueNone  = 0
	uniqueLeft  = 1
	uniqueRight = 2
)

// uniqueSide says which input of an inner join of insert-only inputs has
// at most one row per join key, ever (a unique key within its join keys;
// the left when both have): then the other side's rows are kept only
// until that row has come (outerjoin.go, regularJoinFn.unique).
// uniqueNone for an outer join, an updating input, or no such key. The
// keys must be the inputs' own columns: a key cast to the common type
// below the join (keycast.go) is not derived through the cast.
func (n *RegularJoin) uniqueSide() int {
	if n.Kind != "INNER" || n.L.Updating() || n.R.Updating() {
		return uniqueNone
	}
	if joinUniqueKey(n.L, n.LKeys) {
		return uniqueLeft
	}
	if joinUniqueKey(n.R, n.RKeys) {
		return uniqueRight
	}
	return uniqueNone
}

// uniqueFilter returns the Calc on the unique side of n (in the unique
// mode) whose filter the join can apply itself (regularJoinFn.ufilter):
// a plain Calc that only filters (its projection the identity of its
// input's columns), over an insert-only input on which the join keys are
// unique too (the rows the filter rejects included: otherwise a rejected
// row and a passing one could share a key). Then every row of the unique
// side's key is the key's only one, filtered or not, and one the filter
// rejects closes its key: no row of the other side of that key can ever
// pair, so the join stores a marker instead and drops those rows, which
// the join behind the Calc would have kept forever. The filter need not
// be deterministic: either way it is evaluated once per unique-side row.
// nil: none.
func (n *RegularJoin) uniqueFilter() *Calc {
	side, keys := n.R, n.RKeys
	switch n.uniqueSide() {
	case uniqueLeft:
		side, keys = n.L, n.LKeys
	case uniqueRight:
	default:
		return nil
	}
	c, ok := side.(*Calc)
	if !ok || c.Filter == nil || c.implicit || c.unionCast || c.movedUID || c.rankExprs != nil {
		return nil
	}
	in := c.In.Cols()
	if len(c.Exprs) != len(in) || len(c.cols) != len(in) {
		return nil
	}
	for i, e := range c.Exprs {
		col, ok := e.(*expr.Column)
		if !ok || col.Index != i || !col.T.Equal(in[i].Type) || !c.cols[i].Type.Equal(in[i].Type) {
			return nil
		}
	}
	if c.In.Updating() || !joinUniqueKey(c.In, keys) {
		return nil
	}
	return c
}
