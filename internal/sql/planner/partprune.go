package planner

import (
	"strings"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/table"
)

// Partition pruning (Flink's SupportsPartitionPushDown): the conjuncts of
// the filters above a scan of a table PARTITIONED BY that read only its
// partition columns are handed to its source
// (connector.TableContext.PartitionFilter) when the source can skip whole
// partitions (connector.PartitionPruningTableSource: the file connectors
// skip the directories, never listing or opening their files). EXPLAIN
// shows them on the scan, partitionFilter=[...]. It is an optimisation
// only: the Calcs still filter every row read, so results are the same
// with or without it (except that a partition one conjunct rejects is
// skipped even when another would fail on its rows: SQL does not order a
// WHERE's conjuncts). Scans shared by sub-plan reuse read the partitions
// any of them needs (share.go). A partition is skipped when one of the conjuncts is
// FALSE or NULL for its values (SQL's WHERE: `p = 'x'` never keeps the
// NULL partition, `p IS NULL` does); a conjunct that fails to evaluate
// keeps it (the rows' filter then raises the error, as without pruning).
// Conjuncts over data columns too, under OR with one, or with a volatile
// call (CURRENT_TIMESTAMP ...) are not used; neither is a scan reached
// twice in the plan.

// prunePartitions sets Scan.PartFilter in the plan under root.
func (p *Planner) prunePartitions(root Node) {
	reached := map[*Scan]int{}
	conjs := map[*Scan][]expr.Expr{}
	var visit func(n Node, conj []expr.Expr)
	visit = func(n Node, conj []expr.Expr) {
		switch x := n.(type) {
		case *Scan:
			reached[x]++
			conjs[x] = conj
			return
		case *Calc:
			// The filters above, over x's output, become filters over
			// its input through its projection; x's own comes first.
			var down []expr.Expr
			if x.Filter != nil {
				down = append(down, calcConjuncts(x.Filter)...)
			}
			for _, c := range conj {
				m, ok := calcMapExpr(c, func(e expr.Expr) (expr.Expr, bool) {
					if col, ok := e.(*expr.Column); ok && col.Index >= 0 && col.Index < len(x.Exprs) {
						return x.Exprs[col.Index], true
					}
					return nil, false
				})
				if ok {
					down = append(down, m)
				}
			}
			visit(x.In, down)
			return
		}
		for _, in := range n.Inputs() {
			visit(in, nil)
		}
	}
	visit(root, nil)
	for sc, conj := range conjs {
		sc.PartFilter = nil
		if reached[sc] != 1 || len(conj) == 0 || sc.Changelog {
			continue
		}
		keys := partitionKeys(sc.Table)
		if len(keys) == 0 {
			continue
		}
		f, ok := p.Factories[sc.Table.Connector].(connector.PartitionPruningTableSource)
		if !ok || !f.PrunesPartitions(connector.TableContext{Name: sc.Table.Name, Schema: *sc.Table.Physical(), Options: sc.Table.Options, PartitionKeys: keys}) {
			continue
		}
		level := map[int]int{} // scan column -> its partition level (1-based)
		for i, k := range keys {
			for j, c := range sc.cols {
				if c.Name == k {
					level[j] = i + 1
				}
			}
		}
		for _, c := range conj {
			if partConjLevels(c, level) > 0 {
				sc.PartFilter = append(sc.PartFilter, c)
			}
		}
	}
}

// partConjLevels is the number of partition levels that conjunct c needs
// (its deepest partition column), 0 when c cannot prune: it reads no
// column, a column that is not a partition column (level), a volatile
// call, or an expression kind calcMapExpr does not know.
func partConjLevels(c expr.Expr, level map[int]int) int {
	deepest, usable := 0, true
	if _, ok := calcMapExpr(c, func(e expr.Expr) (expr.Expr, bool) {
		switch x := e.(type) {
		case *expr.Column:
			l, ok := level[x.Index]
			if !ok {
				usable = false
			}
			deepest = max(deepest, l)
			return e, true
		case *expr.Call:
			if x.Overload != nil && x.Overload.Volatile {
				usable = false
			}
		}
		return nil, false
	}); !ok || !usable {
		return 0
	}
	return deepest
}

// partitionFilterText is the scan's partition filter for EXPLAIN.
func partitionFilterText(sc *Scan) string {
	var ps []string
	for _, c := range sc.PartFilter {
		ps = append(ps, c.String())
	}
	return strings.Join(ps, " AND ")
}

// partFilter is a connector.PartitionFilter over the compiled conjuncts
// of a scan's PartFilter.
type partFilter struct {
	width int   // the scan's row
	idx   []int // scan column of each partition level
	conj  []partConj
}

type partConj struct {
	pred   func(*table.Row) (bool, error) // NULL is false
	levels int
}

// newPartFilter compiles sc.PartFilter (nil when it has none).
func newPartFilter(sc *Scan, opts []expr.Option) (connector.PartitionFilter, error) {
	if len(sc.PartFilter) == 0 {
		return nil, nil
	}
	f := &partFilter{width: len(sc.cols)}
	level := map[int]int{}
	for i, k := range partitionKeys(sc.Table) {
		j := -1
		for c, col := range sc.cols {
			if col.Name == k {
				j = c
			}
		}
		f.idx = append(f.idx, j)
		if j >= 0 {
			level[j] = i + 1
		}
	}
	for _, c := range sc.PartFilter {
		pred, err := expr.CompilePredicate(c, opts...)
		if err != nil {
			return nil, err
		}
		f.conj = append(f.conj, partConj{pred: pred, levels: partConjLevels(c, level)})
	}
	return f, nil
}

// Keep evaluates the conjuncts whose partition columns vals holds over a
// row of NULLs with the partition values in their columns.
func (f *partFilter) Keep(vals []table.Value) bool {
	row := table.Row{Fields: make([]table.Value, f.width)}
	for i, v := range vals {
		if i < len(f.idx) && f.idx[i] >= 0 {
			row.Fields[f.idx[i]] = v
		}
	}
	for _, c := range f.conj {
		if c.levels == 0 || c.levels > len(vals) {
			continue
		}
		ok, err := c.pred(&row)
		if err == nil && !ok {
			return false
		}
	}
	return true
}
