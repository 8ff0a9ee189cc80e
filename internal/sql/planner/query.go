package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/catalog"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/table"
)

// bindQuery plans a query: its node and the scope of its output.
func (p *Planner) bindQuery(q *parser.Query) (Node, error) {
	if len(q.With) > 0 {
		// Common table expressions are views of this query.
		scope := map[string]*parser.CTE{}
		p.ctes = append(p.ctes, scope)
		defer func() { p.ctes = p.ctes[:len(p.ctes)-1] }()
		for _, c := range q.With {
			if _, dup := scope[c.Name.Name]; dup {
				return nil, errAt(c, "WITH names `%s` twice", c.Name.Name)
			}
			scope[c.Name.Name] = c
		}
	}
	if len(q.OrderBy) > 0 || q.Limit != nil || q.Offset != nil {
		return p.bindOrdered(q) // orderby.go
	}
	return p.bindBody(q.Body)
}

func (p *Planner) bindBody(b parser.QueryBody) (Node, error) {
	switch x := b.(type) {
	case *parser.Query:
		return p.bindQuery(x)
	case *parser.Select:
		return p.bindSelect(x)
	case *parser.Values:
		return p.bindValues(x) // values.go
	case *parser.SetOp:
		if x.Op != "UNION" || !x.All {
			return nil, errAt(x, "%s is not supported yet (UNION ALL is)", strings.TrimSpace(x.Op+map[bool]string{true: " DISTINCT", false: ""}[!x.All]))
		}
		l, err := p.bindBody(x.Left)
		if err != nil {
			return nil, err
		}
		r, err := p.bindBody(x.Right)
		if err != nil {
			return nil, err
		}
		return p.union(x, l, r)
	}
	return nil, errAt(b, "%T is not supported yet", b)
}

// union is UNION ALL of l and r, casting both to the common column types.
//
// UIDs: whether an input gets a cast Calc follows main's build before
// branch sqltypes (683dc02, whose savepoints today's plans restore;
// DESIGN.md §7) as commonKey does for IN: by the inputs' old types
// (oldType: a FLOAT sum was DOUBLE, a TIMESTAMP literal's column
// TIMESTAMP(3)) against their common type. An input that build cast keeps
// a sql-<n> Calc even where today's types need no cast (a declared FLOAT
// unioned with a FLOAT sum: a plain copy), and a cast it did not make (a
// literal's TIMESTAMP(0) column with a TIMESTAMP(3) one) is implicit, its
// Calc of the cast namespace (calc.go), so the later operators keep their
// numbers.
func (p *Planner) union(at parser.Node, l, r Node) (Node, error) {
	lc, rc := l.Cols(), r.Cols()
	if len(lc) != len(rc) {
		return nil, errAt(at, "UNION ALL of %d and %d columns: both sides must have the same number of columns", len(lc), len(rc))
	}
	var ins []Node
	for _, n := range []Node{l, r} {
		if u, ok := n.(*Union); ok {
			ins = append(ins, u.Ins...)
		} else {
			ins = append(ins, n)
		}
	}
	cols := make([]Col, len(lc))
	old := make([]table.Type, len(lc))
	for i := range lc {
		t, ok := table.CommonType(lc[i].Type, rc[i].Type)
		if !ok {
			return nil, errAt(at, "UNION ALL column %d (`%s`): no common type of %s and %s", i+1, lc[i].Name, lc[i].Type, rc[i].Type)
		}
		cols[i] = Col{Name: lc[i].Name, Type: t}
		// The common type that build gave the column (the time
		// attributes as today's: oldType drops them).
		ol := oldType(l, i).WithTimeAttr(lc[i].Type.TimeAttr())
		or := oldType(r, i).WithTimeAttr(rc[i].Type.TimeAttr())
		if old[i], ok = table.CommonType(ol, or); !ok {
			old[i] = t
		}
	}
	for k, in := range ins {
		ic := in.Cols()
		same, wasSame := true, true
		for i := range ic {
			same = same && ic[i].Type.Equal(cols[i].Type)
			wasSame = wasSame && oldType(in, i).WithTimeAttr(ic[i].Type.TimeAttr()).Equal(old[i])
		}
		if same && wasSame {
			continue
		}
		var es []expr.Expr
		for i := range ic {
			var e expr.Expr = expr.ColumnRef(i, ic[i].Name, ic[i].Type)
			if !ic[i].Type.Equal(cols[i].Type) {
				c, err := expr.NewCast(e, cols[i].Type, false)
				if err != nil {
					return nil, wrapAt(at, err)
				}
				e = c
			}
			es = append(es, e)
		}
		ins[k] = &Calc{In: in, Exprs: es, cols: cols, unionCast: true, unionOld: old, implicit: wasSame}
	}
	return &Union{Ins: ins, cols: cols}, nil
}

// bindFrom plans a FROM item: its node and scope.
func (p *Planner) bindFrom(t parser.TableExpr) (Node, *scope, error) {
	switch x := t.(type) {
	case *parser.TableName:
		if x.SystemTime != nil {
			return nil, nil, errAt(x, "FOR SYSTEM_TIME AS OF (temporal joins) is not supported yet")
		}
		qual := x.Name.Parts[len(x.Name.Parts)-1].Name
		n, err := p.tableNode(x.Name)
		if err != nil {
			return nil, nil, err
		}
		return p.aliased(n, qual, x.Alias)
	case *parser.DerivedTable:
		if x.Lateral {
			return nil, nil, errAt(x, "LATERAL is not supported yet")
		}
		n, err := p.bindQuery(x.Query)
		if err != nil {
			return nil, nil, err
		}
		return p.aliased(n, "", x.Alias)
	case *parser.TableFunc:
		return p.bindWindowTVF(x)
	case *parser.Join:
		return nil, nil, errAt(x, "joins are only supported directly in the FROM of a SELECT yet")
	case *parser.ParenTable:
		return p.bindFrom(x.Table)
	case *parser.MatchRecognize:
		return p.bindMatchRecognize(x)
	case *parser.Unnest:
		return p.bindUnnest(x) // unnest.go
	}
	return nil, nil, errAt(t, "%T in FROM is not supported yet", t)
}

func (p *Planner) aliased(n Node, qual string, a *parser.Alias) (Node, *scope, error) {
	if a != nil {
		qual = a.Name.Name
		if len(a.Columns) > 0 {
			// AS t(a, b): the columns renamed.
			var err error
			if n, err = renamed(a, n, a.Columns); err != nil {
				return nil, nil, err
			}
		}
	}
	s := &scope{}
	for _, c := range n.Cols() {
		s.cols = append(s.cols, scopeCol{qual: qual, name: c.Name, t: c.Type, win: c.Win})
	}
	return n, s, nil
}

// tableNode plans a table or view by name.
func (p *Planner) tableNode(name *parser.QName) (Node, error) {
	n := name.Parts[len(name.Parts)-1].Name
	if len(name.Parts) > 1 {
		return nil, errAt(name, "qualified table names (catalog.db.table) are not supported yet")
	}
	for i := len(p.ctes) - 1; i >= 0; i-- {
		if c, ok := p.ctes[i][n]; ok {
			// A CTE sees the CTEs of its WITH clause declared so far
			// and the outer ones; binding it with the current stack
			// is enough for non-recursive WITH.
			node, err := p.bindQuery(c.Query)
			if err != nil {
				return nil, err
			}
			return renamed(c, node, c.Columns)
		}
	}
	if v, ok := p.Cat.View(n); ok {
		return p.bindQuery(v.Query)
	}
	t, ok := p.Cat.Table(n)
	if !ok {
		msg := fmt.Sprintf("unknown table `%s`", n)
		if s := p.Cat.Suggest(n); s != "" {
			msg += fmt.Sprintf("; did you mean `%s`?", s)
		}
		return nil, errAt(name, "%s", msg)
	}
	return p.scan(t)
}

// scan is a table's scan plus the Calc of its computed columns.
func (p *Planner) scan(t *catalog.Table) (Node, error) {
	phys := t.Physical()
	sc := &Scan{Table: t, OutOfOrderness: t.OutOfOrderness}
	if cs, ok := p.Factories[t.Connector].(ChangelogSource); ok {
		sc.Changelog = cs.ProducesUpdates(connector.TableContext{Name: t.Name, Schema: *phys, Options: t.Options})
	}
	sc.uniq = scanUniqueKeys(p.Factories[t.Connector], connector.TableContext{Name: t.Name, Schema: *phys, Options: t.Options}, sc.Changelog)
	ps := &scope{}
	for _, c := range phys.Columns {
		sc.cols = append(sc.cols, Col{Name: c.Name, Type: c.Type})
		ps.cols = append(ps.cols, scopeCol{name: c.Name, t: c.Type})
	}
	var exprs []expr.Expr
	computed := false
	pi := 0
	var cols []Col
	for i, c := range t.Schema.Columns {
		var e expr.Expr
		if c.Computed == "" {
			e = expr.ColumnRef(pi, c.Name, c.Type)
			pi++
		} else {
			computed = true
			x, err := p.b.bind(t.Computed[i], ps)
			if err != nil {
				return nil, err
			}
			e = x
		}
		exprs = append(exprs, e)
		ct := c.Type
		if c.Name == t.Schema.Rowtime {
			sc.Rowtime = e
			ct = ct.WithTimeAttr(table.Rowtime)
			if c.Computed == "" {
				sc.cols[pi-1].Type = ct
			}
		}
		cols = append(cols, Col{Name: c.Name, Type: ct})
	}
	if !computed {
		return sc, nil
	}
	return &Calc{In: sc, Exprs: exprs, cols: cols}, nil
}

// bindWindowTVF plans TABLE(TUMBLE|HOP(TABLE t, DESCRIPTOR(ts), ...)).
func (p *Planner) bindWindowTVF(x *parser.TableFunc) (Node, *scope, error) {
	c := x.Call
	kind := strings.ToUpper(c.Name.Parts[len(c.Name.Parts)-1].Name)
	var params []string
	switch kind {
	case "TUMBLE":
		params = []string{"DATA", "TIMECOL", "SIZE", "OFFSET"}
	case "HOP":
		params = []string{"DATA", "TIMECOL", "SLIDE", "SIZE", "OFFSET"}
	case "CUMULATE":
		params = []string{"DATA", "TIMECOL", "STEP", "SIZE", "OFFSET"}
	case "SESSION":
		params = []string{"DATA", "TIMECOL", "GAP"}
	default:
		return nil, nil, errAt(x, "table function %s is not supported yet (the window functions TUMBLE, HOP, CUMULATE and SESSION are)", kind)
	}
	args := map[string]parser.Expr{}
	for i, a := range c.Args {
		if na, ok := a.(*parser.NamedArg); ok {
			args[strings.ToUpper(na.Name.Name)] = na.Value
			continue
		}
		if i >= len(params) {
			return nil, nil, errAt(a, "too many arguments to %s", kind)
		}
		args[params[i]] = a
	}
	ta, ok := args["DATA"].(*parser.TableArg)
	if !ok || ta.Name == nil {
		return nil, nil, errAt(c, "%s expects TABLE name (a table or view) as its first argument", kind)
	}
	if len(ta.OrderBy) > 0 || (len(ta.PartitionBy) > 0 && kind != "SESSION") {
		return nil, nil, errAt(ta, "PARTITION BY and ORDER BY of a window table argument are not supported (SESSION takes PARTITION BY)")
	}
	d, ok := args["TIMECOL"].(*parser.Descriptor)
	if !ok || len(d.Columns) != 1 {
		return nil, nil, errAt(c, "%s expects DESCRIPTOR(time column) as its second argument", kind)
	}
	n, s, err := p.bindFrom(&parser.TableName{Name: ta.Name})
	if err != nil {
		return nil, nil, err
	}
	timeCol := d.Columns[0].Name
	ti, err := s.resolve(&parser.ColumnRef{Parts: []*parser.Ident{d.Columns[0]}})
	if err != nil {
		return nil, nil, err
	}
	if !s.cols[ti].t.IsTimestamp() {
		return nil, nil, errAt(d, "the time column `%s` of %s must be a TIMESTAMP, it is %s", timeCol, kind, s.cols[ti].t)
	}
	proc, err := timeAttrOf(d, s.cols[ti].t, timeCol, kind)
	if err != nil {
		return nil, nil, err
	}
	if !proc {
		// An interval join's time column: the rows re-stamped by it.
		if n, err = stampedBy(d, n, ti, s.cols[ti].t, kind); err != nil {
			return nil, nil, err
		}
		if _, ok := n.(*Restamp); ok {
			s.cols[ti].t = n.Cols()[ti].Type
		}
	}
	loc, err := p.Location()
	if err != nil {
		return nil, nil, err
	}
	zone := zoneOfWindow(s.cols[ti].t, loc)
	if n.Updating() {
		return nil, nil, errAt(ta, "a window table function over an updating input is not supported yet")
	}
	dur := func(name string) (time.Duration, error) {
		e, ok := args[name]
		if !ok {
			return 0, errAt(c, "%s needs the %s argument", kind, name)
		}
		il, ok := e.(*parser.IntervalLit)
		if !ok {
			return 0, errAt(e, "%s of %s must be an INTERVAL literal", name, kind)
		}
		v, err := intervalOf(il)
		if err == nil && v <= 0 {
			err = errAt(e, "%s of %s must be positive", name, kind)
		}
		return v, err
	}
	w := &windowTVF{kind: kind, timeCol: timeCol, first: len(s.cols), at: x, proctime: proc, zone: zone, attrType: s.cols[ti].t}
	for _, pe := range ta.PartitionBy {
		cr, ok := pe.(*parser.ColumnRef)
		if !ok {
			return nil, nil, errAt(pe, "PARTITION BY of SESSION takes columns")
		}
		i, err := s.resolve(cr)
		if err != nil {
			return nil, nil, err
		}
		w.partition = append(w.partition, i)
	}
	sizeArg := "SIZE"
	if kind == "SESSION" {
		sizeArg = "GAP"
	}
	if w.size, err = dur(sizeArg); err != nil {
		return nil, nil, err
	}
	w.slide = w.size
	switch kind {
	case "HOP":
		if w.slide, err = dur("SLIDE"); err != nil {
			return nil, nil, err
		}
	case "CUMULATE":
		if w.slide, err = dur("STEP"); err != nil {
			return nil, nil, err
		}
		if w.size%w.slide != 0 {
			return nil, nil, errAt(args["SIZE"], "the SIZE of CUMULATE (%v) must be a multiple of its STEP (%v)", w.size, w.slide)
		}
	}
	if e := args["OFFSET"]; e != nil {
		// Window starts are shifted by OFFSET (Flink's
		// TimeWindow.getWindowStartWithOffset); any offset, also negative
		// or beyond the size, is the same as the offset modulo the slide
		// (a tumbling window's size): windows start at offset + k*slide.
		// CUMULATE's windows start every SIZE (Flink's
		// CumulativeSliceAssigner), so its offset is taken modulo SIZE.
		il, ok := e.(*parser.IntervalLit)
		if !ok {
			return nil, nil, errAt(e, "OFFSET of %s must be an INTERVAL literal", kind)
		}
		o, err := intervalOf(il)
		if err != nil {
			return nil, nil, err
		}
		period := w.slide
		if kind == "CUMULATE" {
			period = w.size
		}
		w.offset = (o%period + period) % period
	}
	qual := ""
	if x.Alias != nil {
		qual = x.Alias.Name.Name
		for i := range s.cols {
			s.cols[i].qual = qual
		}
	}
	for k, name := range []string{"window_start", "window_end", "window_time"} {
		var win winAttr
		if !w.proctime { // processing-time windows are only aggregated (proctime.go)
			win = winOfZone(winStart+winAttr(k), w.specText(), w.zone)
		}
		s.cols = append(s.cols, scopeCol{qual: qual, name: name, t: winColType(k, s.cols[ti].t, false), window: true, win: win})
	}
	if x.Alias != nil && len(x.Alias.Columns) > 0 {
		// AS w(a, b, ws, we, wt): the input's columns and the window
		// columns renamed, as for other FROM items; the window columns
		// stay window columns (found by position, not by name).
		if len(x.Alias.Columns) != len(s.cols) {
			return nil, nil, errAt(x.Alias, "%s for %s (the %d of the table and window_start, window_end, window_time): give one name per column", plural(len(x.Alias.Columns), "column name"), plural(len(s.cols), "column"), len(s.cols)-3)
		}
		for i, id := range x.Alias.Columns {
			s.cols[i].name = id.Name
		}
	}
	s.win = w
	return n, s, nil
}

// bindSelect plans one SELECT block.
func (p *Planner) bindSelect(sel *parser.Select) (Node, error) {
	if sel.From == nil {
		// SELECT without FROM: from one row (values.go); SELECT * has
		// no columns to select (Calcite: "SELECT * requires a FROM
		// clause").
		for _, it := range sel.Items {
			if _, ok := it.Expr.(*parser.Star); ok {
				return nil, errAt(it, "SELECT * requires a FROM clause: list the values to select (SELECT 1 AS a, 'x' AS b) or add FROM")
			}
		}
	}
	if sel.Distinct {
		// SELECT DISTINCT x, y is GROUP BY x, y.
		if len(sel.GroupBy) > 0 || sel.Having != nil {
			return nil, errAt(sel, "SELECT DISTINCT with GROUP BY or HAVING is not supported yet")
		}
		cp := *sel
		cp.Distinct = false
		cp.GroupBy = nil
		for _, it := range sel.Items {
			if _, ok := it.Expr.(*parser.Star); ok {
				return nil, errAt(it, "SELECT DISTINCT * is not supported yet: list the columns")
			}
			if p.b.hasAgg(it.Expr) {
				return nil, errAt(it, "SELECT DISTINCT with aggregate functions is not supported yet")
			}
			cp.GroupBy = append(cp.GroupBy, it.Expr)
		}
		return p.bindSelect(&cp)
	}
	saved := p.ranks
	p.ranks = map[string]int64{}
	if _, ok := sel.From.(*parser.DerivedTable); ok && sel.Where != nil {
		rankLimits(sel.Where, p.ranks)
	}
	var in Node
	var s *scope
	var err error
	where := sel.Where
	if j, ok := sel.From.(*parser.Join); ok {
		var rest []parser.Expr
		in, s, rest, err = p.bindJoin(j, sel.Where)
		where = nil
		for _, c := range rest {
			if where == nil {
				where = c
			} else {
				where = &parser.Binary{Op: "AND", L: where, R: c}
			}
		}
		if err == nil && where != nil {
			in, where, err = p.bindSubqueryJoins(in, s, where)
		}
	} else {
		if sel.From == nil {
			in, s = oneRow()
		} else {
			in, s, err = p.bindFrom(sel.From)
		}
		if err == nil && where != nil {
			// [NOT] EXISTS / IN (subquery): semi and anti joins.
			in, where, err = p.bindSubqueryJoins(in, s, where)
		}
	}
	if err == nil {
		// IN / EXISTS elsewhere than as conjuncts of WHERE: mark joins.
		in, err = p.bindMarkJoins(sel, in, s, where, len(sel.GroupBy) > 0 || sel.Having != nil || p.anyAgg(sel))
	}
	if err == nil {
		// Scalar subqueries: left joins with their single row.
		in, err = p.bindScalarSubqueries(sel, in, s, where, len(sel.GroupBy) > 0 || sel.Having != nil || p.anyAgg(sel))
	}
	p.ranks = saved
	if err != nil {
		return nil, err
	}
	if s.win != nil && s.win.kind != "SESSION" && ((len(sel.GroupBy) == 0 && sel.Having == nil && !p.anyAgg(sel)) || p.readsWindow(where, s)) {
		// A window TVF without an aggregation, or whose WHERE reads
		// the windows: its rows with their windows (an aggregation
		// then groups a window relation).
		if in, err = materializeTVF(in, s); err != nil {
			return nil, err
		}
	}
	var filter expr.Expr
	if where != nil {
		if p.b.hasAgg(where) {
			return nil, errAt(where, "aggregate functions are not allowed in WHERE (use HAVING)")
		}
		if filter, err = p.b.bind(where, s); err != nil {
			return nil, err
		}
		if filter.Type().Root() != table.RootBoolean {
			return nil, errAt(where, "WHERE must be a BOOLEAN condition, %s is %s", where, filter.Type())
		}
	}
	agg := len(sel.GroupBy) > 0 || sel.Having != nil
	for _, it := range sel.Items {
		agg = agg || p.b.hasAgg(it.Expr)
	}
	for i, it := range sel.Items {
		if _, fn, ok := isRankCall(it.Expr); ok {
			if agg {
				return nil, errAt(it, "%s() over an aggregation in the same SELECT is not supported yet: aggregate in a subquery and rank its rows", fn)
			}
			if s.win != nil { // window Top-N straight over a window table function
				if in, err = materializeTVF(in, s); err != nil {
					return nil, err
				}
			}
			return p.bindTopN(sel, in, s, filter, i)
		}
	}
	if !agg {
		if over := p.overCalls(sel); len(over) > 0 {
			return p.bindOver(sel, in, s, filter, over)
		}
		if s.win != nil {
			if in, err = materializeTVF(in, s); err != nil {
				return nil, err
			}
		}
		var es []expr.Expr
		var cols []Col
		for i, it := range sel.Items {
			if st, ok := it.Expr.(*parser.Star); ok {
				for j, c := range s.cols {
					if len(st.Qualifier) == 1 && c.qual != st.Qualifier[0].Name || c.hidden {
						continue
					}
					es = append(es, expr.ColumnRef(j, c.name, c.t))
					cols = append(cols, Col{Name: c.name, Type: c.t, Win: c.win})
				}
				continue
			}
			e, err := p.b.bind(it.Expr, s)
			if err != nil {
				return nil, err
			}
			es = append(es, e)
			t := e.Type()
			var win winAttr
			if c, ok := e.(*expr.Column); ok {
				win = s.cols[c.Index].win
			} else if !isProctimeCall(e) {
				// Only the column itself stays an event-time attribute:
				// records carry its value as their timestamp (or, for an
				// interval join's time columns, RowtimeUnstamped, get it
				// from a Restamp where a window reads one: restamp.go).
				t = t.WithTimeAttr(table.NoTimeAttr)
			}
			cols = append(cols, Col{Name: itemName(it, i), Type: t, Win: win})
		}
		return &Calc{In: in, Filter: filter, Exprs: es, cols: cols}, nil
	}
	return p.bindAggregate(sel, in, s, filter)
}

func itemName(it *parser.SelectItem, i int) string {
	if it.Alias != nil {
		return it.Alias.Name
	}
	if c, ok := it.Expr.(*parser.ColumnRef); ok {
		return c.Parts[len(c.Parts)-1].Name
	}
	return fmt.Sprintf("EXPR$%d", i)
}

// bindAggregate plans GROUP BY: a pre-projection (filter, keys, aggregate
// arguments), the aggregation (window or regular), and the projection of
// the select list (with HAVING as its filter).
func (p *Planner) bindAggregate(sel *parser.Select, in Node, s *scope, filter expr.Expr) (Node, error) {
	a := &aggCtx{in: s, keyText: map[string]int{}, keyCol: map[int]int{}, preText: map[string]int{}, updatingIn: in.Updating(), post: map[*parser.Subquery][]*expr.Column{}}
	var keys []int
	winKeys := map[string]bool{}
	type winRef struct {
		text string
		col  int
	}
	var winRefs []winRef
	var keyWins []winAttr                           // the window attribute of each key (cascaded window aggregation)
	groupBy, sets, err := groupingSets(sel.GroupBy) // grouping.go
	if err != nil {
		return nil, err
	}
	groupBy = append([]parser.Expr(nil), groupBy...)
	inSets := map[string]bool{}
	for _, set := range sets {
		for _, e := range set {
			if !inSets[e.String()] {
				inSets[e.String()] = true
				groupBy = append(groupBy, e)
			}
		}
	}
	for _, g := range groupBy {
		if gw, ok, err := p.groupWindow(g, s); ok || err != nil {
			if err != nil {
				return nil, err
			}
			if inSets[g.String()] {
				return nil, errAt(g, "a group window must be a plain GROUP BY item, in every grouping set (as in Flink): write GROUP BY %s, GROUPING SETS (...)", g)
			}
			if s.win != nil {
				return nil, errAt(g, "a group window and a window table function in one aggregation")
			}
			if !gw.proctime {
				// An interval join's time column: the rows re-stamped by it.
				if in, err = stampedBy(g, in, gw.timeIdx, s.cols[gw.timeIdx].t, gw.kind); err != nil {
					return nil, err
				}
				if _, ok := in.(*Restamp); ok {
					s.cols[gw.timeIdx].t = in.Cols()[gw.timeIdx].Type
					gw.attrType = s.cols[gw.timeIdx].t
				}
			}
			s.win = gw
			a.winAux = map[string]int{}
			winKeys["window_start"], winKeys["window_end"] = true, true
			continue
		}
		if cr, ok := g.(*parser.ColumnRef); ok {
			i, err := s.resolve(cr)
			if err != nil {
				return nil, err
			}
			if s.cols[i].window {
				if inSets[g.String()] {
					return nil, errAt(g, "window_start and window_end must be plain GROUP BY items, in every grouping set (as in Flink): write GROUP BY window_start, window_end, GROUPING SETS (...)")
				}
				winKeys[[]string{"window_start", "window_end", "window_time"}[i-s.win.first]] = true
				winRefs = append(winRefs, winRef{g.String(), i})
				continue
			}
		}
		if p.b.hasAgg(g) {
			return nil, errAt(g, "aggregate functions are not allowed in GROUP BY")
		}
		e, err := p.b.bind(g, s)
		if err != nil {
			return nil, err
		}
		if _, dup := a.keyText[g.String()]; dup && sets != nil {
			continue // a plain item that is also in the sets: in every set
		}
		slot := len(keys)
		keys = append(keys, a.addPre(e))
		a.keyText[g.String()] = slot
		if cr, ok := g.(*parser.ColumnRef); ok {
			i, _ := s.resolve(cr)
			a.keyCol[i] = slot
		}
		a.outTypes = append(a.outTypes, e.Type())
		a.outNames = append(a.outNames, itemNameOf(g))
		var kw winAttr
		if cr, ok := g.(*parser.ColumnRef); ok {
			i, _ := s.resolve(cr)
			kw = s.cols[i].win
		}
		keyWins = append(keyWins, kw)
	}
	nkeys := len(keys) // the group keys without $e
	if sets != nil {
		g := &groupingCtx{eSlot: len(keys)}
		for _, set := range sets {
			in := make([]bool, nkeys)
			for _, e := range set {
				in[a.keyText[e.String()]] = true
			}
			for _, e := range groupBy[:len(groupBy)-len(inSets)] {
				if slot, ok := a.keyText[e.String()]; ok {
					in[slot] = true // plain items are in every set
				}
			}
			g.sets = append(g.sets, in)
		}
		for k := range nkeys {
			for _, set := range g.sets {
				if !set[k] {
					a.outTypes[k] = a.outTypes[k].WithNullable(true)
				}
			}
		}
		a.grouping = g
		keys = append(keys, -1) // $e: the Expand's last column, known once the pre-projection is
		a.outTypes = append(a.outTypes, table.BigIntType().NotNull())
		a.outNames = append(a.outNames, "$e")
		keyWins = append(keyWins, winNone)
	}
	// A group key is no event-time attribute after the aggregation (as
	// in Flink, which materialises the time attributes of group keys but
	// window_time's): the rows carry another timestamp (window_end - 1 of
	// a window aggregation, the latest input's of a group aggregation).
	// The one exception is the window_time of a window relation grouped
	// with its window_start and window_end (a window aggregation over the
	// windows of a window aggregation): its value is the stamp.
	var endWin winAttr
	startKey := false
	for _, w := range keyWins {
		switch w.col() {
		case winStart:
			startKey = true
		case winEnd:
			endWin = w
		}
	}
	for k := range nkeys {
		kw := keyWins[k]
		if keepsStamp := s.win == nil && !in.Updating() && startKey && endWin != winNone && kw.col() == winTime && kw>>2 == endWin>>2 &&
			!a.outTypes[k].Nullable(); !keepsStamp {
			a.outTypes[k] = a.outTypes[k].WithTimeAttr(table.NoTimeAttr)
		}
	}
	win := s.win
	if win != nil {
		if !winKeys["window_start"] || !winKeys["window_end"] {
			return nil, errAt(sel, "an aggregation over the window table function %s must GROUP BY window_start, window_end", win.kind)
		}
		for k, name := range []string{"window_start", "window_end", "window_time"} {
			slot := len(keys) + k
			// window_time is an event-time attribute, as in Flink: the
			// rows carry it as their timestamp (window_end - 1), so a
			// window TVF may take it as its DESCRIPTOR (cascaded windows).
			t := winColType(k, win.attrType, true)
			if c := win.first + k; c >= 0 && c < len(s.cols) && s.cols[c].window {
				name = s.cols[c].name // as renamed by AS w(..., ws, we, wt)
			}
			a.outTypes = append(a.outTypes, t)
			a.outNames = append(a.outNames, name)
			a.keyCol[win.first+k] = slot
		}
		for _, r := range winRefs {
			a.keyText[r.text] = a.keyCol[r.col]
		}
		if a.winAux != nil {
			for k, suf := range []string{"_START", "_END", "_ROWTIME"} {
				a.winAux[win.kind+suf] = len(keys) + k
			}
		}
	} else if len(winKeys) > 0 {
		return nil, errAt(sel, "window columns without a window table function")
	}
	a.aggBase = len(a.outTypes)
	as := &scope{agg: a}
	var es []expr.Expr
	var cols []Col
	for i, it := range sel.Items {
		if _, ok := it.Expr.(*parser.Star); ok {
			return nil, errAt(it, "SELECT * is not valid with GROUP BY")
		}
		e, err := p.b.bind(it.Expr, as)
		if err != nil {
			return nil, err
		}
		es = append(es, e)
		cols = append(cols, Col{Name: itemName(it, i), Type: e.Type()})
	}
	var having expr.Expr
	if sel.Having != nil {
		h, err := p.b.bind(sel.Having, as)
		if err != nil {
			return nil, err
		}
		if h.Type().Root() != table.RootBoolean {
			return nil, errAt(sel.Having, "HAVING must be a BOOLEAN condition, %s is %s", sel.Having, h.Type())
		}
		having = h
	}
	// The pre-projection.
	var preCols []Col
	for i, e := range a.pre {
		name := fmt.Sprintf("$%d", i)
		if c, ok := e.(*expr.Column); ok {
			name = c.Name
		}
		preCols = append(preCols, Col{Name: name, Type: e.Type()})
	}
	var pre Node = &Calc{In: in, Filter: filter, Exprs: a.pre, cols: preCols}
	if g := a.grouping; g != nil {
		ex := &Expand{In: pre, Keys: append([]int(nil), keys[:nkeys]...)}
		ex.cols = append(ex.cols, preCols...)
		for k := range nkeys {
			ex.cols = append(ex.cols, Col{Name: preCols[keys[k]].Name, Type: a.outTypes[k]})
			keys[k] = len(preCols) + k
		}
		ex.cols = append(ex.cols, Col{Name: "$e", Type: table.BigIntType().NotNull()})
		keys[nkeys] = len(preCols) + nkeys
		ex.Sets = g.sets
		pre = ex
	}
	// A window assigner reads the record timestamp, which the source took
	// from the rowtime column; no column is needed for it.
	var aggNode Node
	outCols := make([]Col, len(a.outTypes))
	for i := range outCols {
		outCols[i] = Col{Name: a.outNames[i], Type: a.outTypes[i]}
	}
	ws, we := -1, -1 // the keys that are the window_start and window_end of a window relation
	for i, w := range keyWins {
		switch w.col() {
		case winStart:
			ws = i
		case winEnd:
			we = i
		}
	}
	if win != nil {
		for k := range 3 {
			if !win.proctime {
				outCols[len(keys)+k].Win = winOfZone(winStart+winAttr(k), win.specText(), win.zone)
			}
		}
		if win.kind == "SESSION" {
			if err := sessionKeys(win, keys, a, sel); err != nil {
				return nil, err
			}
		}
		aggNode = &WindowAgg{In: pre, Kind: win.kind, Size: win.size, Slide: win.slide, Offset: win.offset, TimeCol: win.timeCol, Keys: keys, Aggs: a.aggs, cols: outCols, Proctime: win.proctime, Zone: win.zone}
	} else if ws >= 0 && we >= 0 && !in.Updating() {
		// GROUP BY the window_start and window_end of a window relation
		// (a window aggregation or join): a window aggregation over the
		// windows the input already has.
		for i, w := range keyWins {
			outCols[i].Win = w
		}
		aggNode = &WindowedAgg{In: pre, Keys: keys, Start: ws, End: we, Aggs: a.aggs, Zone: keyWins[we].zone(), cols: outCols}
	} else {
		mb, err := p.miniBatch() // groupagg_batch.go
		if err != nil {
			return nil, errAt(sel, "%v", err)
		}
		aggNode = &GroupAgg{In: pre, Keys: keys, Aggs: a.aggs, cols: outCols, MiniBatch: mb}
	}
	// The scalar subqueries of the select list and HAVING: joined to the
	// aggregation's rows (scalar.go).
	for _, ps := range s.post {
		var vi int
		if aggNode, vi, err = postScalarJoin(aggNode, ps, a); err != nil {
			return nil, err
		}
		for _, c := range a.post[ps.sq] {
			c.Index, c.Name = vi, aggNode.Cols()[vi].Name
		}
	}
	for i, e := range es {
		if c, ok := e.(*expr.Column); ok {
			cols[i].Win = aggNode.Cols()[c.Index].Win
		}
		if len(s.post) > 0 {
			cols[i].Type = cols[i].Type.WithTimeAttr(table.NoTimeAttr)
		}
	}
	return &Calc{In: aggNode, Filter: having, Exprs: es, cols: cols}, nil
}

func itemNameOf(e parser.Expr) string {
	if c, ok := e.(*parser.ColumnRef); ok {
		return c.Parts[len(c.Parts)-1].Name
	}
	return e.String()
}

// renamed gives n's columns the names of a column list (CTE or view).
func renamed(at parser.Node, n Node, names []*parser.Ident) (Node, error) {
	if len(names) == 0 {
		return n, nil
	}
	cols := n.Cols()
	if len(names) != len(cols) {
		return nil, errAt(at, "%s for %s: give one name per column", plural(len(names), "column name"), plural(len(cols), "column"))
	}
	var es []expr.Expr
	var out []Col
	for i, c := range cols {
		es = append(es, expr.ColumnRef(i, c.Name, c.Type))
		out = append(out, Col{Name: names[i].Name, Type: c.Type, Win: c.Win}) // a rename keeps window columns
	}
	return &Calc{In: n, Exprs: es, cols: out}, nil
}

// plural is "1 column", "2 columns".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
