package planner

import (
	"fmt"
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
)

// Explain prints the plan as a tree, one node per line, with its changelog
// mode: [I] insert-only, [I,UB,UA,D] updating. It sees n alone: a job
// with other plans may share subtrees with n (ExplainJob).
func Explain(n Node) string {
	var b strings.Builder
	tr := &translator{}
	tr.noteRanks(n) // joinrank.go
	explain(&b, n, 0, tr)
	return b.String()
}

// ExplainJob prints the plans of one job (a statement set's sinks, or one
// query), each as Explain does, with the choices the translation makes
// over the subtrees they share (share.go): a join or Calc with another
// consumer is not fused with the aggregation over it (joinagg.go).
func (p *Planner) ExplainJob(roots ...Node) (string, error) {
	copts, err := p.compileOptions(nil)
	if err != nil {
		return "", err
	}
	tr := &translator{p: p, copts: copts}
	var ins []Node
	for _, n := range roots {
		if s, ok := n.(*Sink); ok {
			n = s.In // Translate shares below its sinks
		}
		ins = append(ins, n)
	}
	// share merges the partition filters of the scans it finds equal:
	// EXPLAIN prints each scan's own, so they are put back.
	parts := map[*Scan][]expr.Expr{}
	var walk func(n Node)
	walk = func(n Node) {
		if sc, ok := n.(*Scan); ok {
			if _, done := parts[sc]; !done {
				parts[sc] = sc.PartFilter
			}
		}
		for _, in := range n.Inputs() {
			walk(in)
		}
	}
	for _, n := range ins {
		walk(n)
	}
	tr.share(ins...)
	tr.noteRanks(ins...) // joinrank.go
	for sc, f := range parts {
		sc.PartFilter = f
	}
	var b strings.Builder
	for _, n := range roots {
		explain(&b, n, 0, tr)
	}
	return b.String(), nil
}

func mode(n Node) string {
	if n.Updating() {
		return "changelog=[I,UB,UA,D]"
	}
	return "changelog=[I]"
}

func colText(n Node, i int) string {
	c := n.Cols()[i]
	return c.Name
}

func exprText(in Node, e expr.Expr) string {
	// Column references print their names; the input's names are the
	// ones the reader knows.
	s := e.String()
	return s
}

// explain prints n at depth; tr decides the operators' fusion (its
// sharing of the job's subtrees).
func explain(b *strings.Builder, n Node, depth int, tr *translator) {
	ind := strings.Repeat("  ", depth)
	switch x := n.(type) {
	case *Scan:
		wm := ""
		if x.Table.Watermark != nil {
			wm = fmt.Sprintf(", rowtime=[%s], watermark=[%s]", x.Table.Schema.Rowtime, x.Table.Schema.Watermark)
		}
		var names []string
		for _, c := range x.cols {
			names = append(names, c.Name)
		}
		if len(x.PartFilter) > 0 {
			wm += fmt.Sprintf(", partitionFilter=[%s]", partitionFilterText(x))
		}
		fmt.Fprintf(b, "%sTableSourceScan(table=[%s], connector=[%s], fields=[%s]%s, %s)\n", ind, x.Table.Name, x.Table.Connector, strings.Join(names, ", "), wm, mode(n))
	case *Calc:
		var ps []string
		for i, e := range x.Exprs {
			t := exprText(x.In, e)
			if t != x.cols[i].Name && t != "`"+x.cols[i].Name+"`" {
				t += " AS " + x.cols[i].Name
			}
			ps = append(ps, t)
		}
		where := ""
		if x.Filter != nil {
			where = fmt.Sprintf(", where=[%s]", exprText(x.In, x.Filter))
		}
		fmt.Fprintf(b, "%sCalc(select=[%s]%s, %s)\n", ind, strings.Join(ps, ", "), where, mode(n))
	case *WindowAgg:
		win := windowText(x.Kind, x.TimeCol, x.Size, x.Slide, x.Offset)
		if x.Proctime {
			win = procWindowText(win)
		}
		win = zoneWindowText(win, x.Zone)
		fmt.Fprintf(b, "%sWindowAggregate(window=[%s], groupBy=[%s], select=[%s], %s)\n", ind, win, keysText(x.In, x.Keys), aggsText(x.Aggs), mode(n))
	case *GroupAgg:
		fused := ""
		if _, ok := tr.joinAggFor(x); ok {
			fused = ", fusedJoin=[true]" // joinagg.go
		}
		fmt.Fprintf(b, "%sGroupAggregate(%s%s, %s)\n", ind, groupText(x), fused, mode(n))
		if x.MiniBatch.on() {
			// groupagg_batch.go: Flink's plan line; the bundles are the
			// aggregation's own.
			fmt.Fprintf(b, "%s  %s\n", ind, x.MiniBatch.explain())
			depth++
		}
	case *TopN:
		if jr, _, ok := tr.joinRankFor(x); ok {
			// One operator for the Top-N, its Calc and the join
			// (joinrank.go): the join's inputs below it.
			fmt.Fprintf(b, "%s%s, %s)\n", ind, jr.explain(), mode(n))
			explain(b, jr.J.L, depth+1, tr)
			explain(b, jr.J.R, depth+1, tr)
			return
		}
		var os []string
		for _, k := range x.Order {
			o := colText(x.In, k.Col)
			if k.Desc {
				o += " DESC"
			}
			os = append(os, o)
		}
		name := "Rank"
		if x.WindowEnd >= 0 {
			name = "WindowRank"
		}
		strategy := ""
		if x.In.Updating() {
			strategy = "strategy=[RetractStrategy], "
		}
		if x.Func != RowNumber {
			strategy += "rankType=[" + x.Func.String() + "], "
		}
		zone := ""
		if x.Zone != nil {
			zone = "zone=[" + x.Zone.name() + "], "
		}
		fmt.Fprintf(b, "%s%s(%srankRange=[1..%d], partitionBy=[%s], orderBy=[%s], %s%s)\n", ind, name, strategy, x.N, keysText(x.In, x.Partition), strings.Join(os, ", "), zone, mode(n))
	case *Deduplicate:
		fmt.Fprintf(b, "%s%s, %s)\n", ind, x.explain(), mode(n))
		if x.MiniBatch.on() {
			// dedup_batch.go: Flink's plan line, as under a GroupAggregate.
			fmt.Fprintf(b, "%s  %s\n", ind, x.MiniBatch.explain())
			depth++
		}
	case *IntervalJoin:
		fmt.Fprintf(b, "%s%s, %s)\n", ind, x.explain(), mode(n))
	case *RegularJoin:
		fmt.Fprintf(b, "%s%s, %s)\n", ind, x.explain(), mode(n))
	case *Union:
		fmt.Fprintf(b, "%sUnion(all=[true], %s)\n", ind, mode(n))
	case *Sink:
		fmt.Fprintf(b, "%sSink(table=[%s], connector=[%s], %s%s)\n", ind, x.Table.Name, x.Table.Connector, x.distText(), mode(n))
		if x.Materialize != nil {
			// sinkmat.go: its output is an upsert changelog.
			fmt.Fprintf(b, "%s  SinkMaterializer(pk=[%s], changelog=[I,UA,D])\n", ind, keysText(x.In, x.Materialize))
			depth++
		}
	case explainer:
		fmt.Fprintf(b, "%s%s, %s)\n", ind, x.explain(), mode(n))
	}
	for _, in := range n.Inputs() {
		explain(b, in, depth+1, tr)
	}
}

func keysText(in Node, keys []int) string {
	var ks []string
	for _, k := range keys {
		ks = append(ks, colText(in, k))
	}
	return strings.Join(ks, ", ")
}

func aggsText(aggs []AggCall) string {
	var as []string
	for _, a := range aggs {
		as = append(as, a.Text)
	}
	return strings.Join(as, ", ")
}

func groupText(g *GroupAgg) string {
	return fmt.Sprintf("groupBy=[%s], select=[%s]", keysText(g.In, g.Keys), aggsText(g.Aggs))
}
