package planner

import (
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/table"
)

// Types as main's build before branch sqltypes gave them (683dc02, whose
// savepoints today's plans restore: DESIGN.md §7, UIDs of implicit casts).
// Since that branch, a TIMESTAMP or TIMESTAMP_LTZ literal is typed by its
// digits (was TIMESTAMP(3)), a TIME literal too (was TIME(0), branch
// sqlleft) and SUM, SUM0 and AVG of FLOAT are FLOAT (were DOUBLE). IN's
// hidden cast columns (commonKey) ask which side that build cast: only a
// Calc it did not have takes a UID of the cast namespace, so the stateful
// operators keep their numbers, and a declared FLOAT or TIMESTAMP(0)
// column cast as before keeps its sql-<n> Calc.

// oldType is the type column i of n had in main's build before branch
// sqltypes: followed through column references, aggregation keys, MIN,
// MAX, FIRST_VALUE and LAST_VALUE, the sides of joins (regular, interval,
// window, lookup, temporal), UNION ALL (the common type of its inputs')
// and VALUES (the common type of its rows') to the literal or FLOAT sum
// it came from; any other column (a table's, a CAST's, a
// function's) had the type it has now.
func oldType(n Node, i int) table.Type {
	now := n.Cols()[i].Type
	old, ok := oldTypeOf(n, i)
	if !ok {
		return now
	}
	return old.WithNullable(now.Nullable()).WithTimeAttr(table.NoTimeAttr)
}

func oldTypeOf(n Node, i int) (table.Type, bool) {
	switch x := n.(type) {
	case *Calc:
		if x.unionCast && i < len(x.unionOld) {
			return x.unionOld[i], true
		}
		if i < len(x.Exprs) {
			return oldExprType(x.In, x.Exprs[i])
		}
	case *GroupAgg:
		return oldAggOutType(x.In, x.Keys, 0, x.Aggs, i, x.cols[i].Type)
	case *WindowAgg:
		// The keys, window_start, window_end, window_time, the aggregates.
		return oldAggOutType(x.In, x.Keys, 3, x.Aggs, i, x.cols[i].Type)
	case *RegularJoin:
		return oldJoinSides(x.L, x.R, i)
	case *IntervalJoin:
		return oldJoinSides(x.L, x.R, i)
	case *IntervalOuterJoin:
		return oldJoinSides(x.L, x.R, i)
	case *WindowJoin:
		// SEMI and ANTI give the left columns only.
		return oldJoinSides(x.L, x.R, i)
	case *LookupJoin:
		return oldJoinSides(x.L, x.R, i)
	case *TemporalJoin:
		return oldJoinSides(x.L, x.R, i)
	case *Correlate:
		if i < len(x.In.Cols()) {
			return oldType(x.In, i), true
		}
	case *OverAgg:
		if i < len(x.In.Cols()) {
			return oldType(x.In, i), true
		}
	case *Union:
		// The common type of the inputs' old types; an input's Calc that
		// only casts it to the union's types (unionCast) is looked through.
		ts := make([]table.Type, len(x.Ins))
		for k, in := range x.Ins {
			if c, ok := in.(*Calc); ok && c.unionCast {
				in = c.In
			}
			ts[k] = oldType(in, i)
		}
		return table.CommonType(ts...)
	case *Values:
		if i < len(x.old) {
			return x.old[i], true
		}
	case *SemiJoin:
		if i < len(x.L.Cols()) {
			return oldType(x.L, i), true
		}
	case *TopN:
		if i < len(x.In.Cols()) {
			return oldType(x.In, i), true
		}
	case *Deduplicate:
		return oldType(x.In, i), true
	case *Restamp:
		return oldType(x.In, i), true
	case *TemporalSort:
		return oldType(x.In, i), true
	}
	return table.Type{}, false
}

// oldJoinSides is the old type of column i of a join of l and r whose
// output is l's columns, then r's.
func oldJoinSides(l, r Node, i int) (table.Type, bool) {
	if nl := len(l.Cols()); i >= nl {
		if r == nil || i-nl >= len(r.Cols()) {
			return table.Type{}, false
		}
		return oldType(r, i-nl), true
	}
	return oldType(l, i), true
}

// oldValuesTypes is, per column of VALUES rows (bound, before the cast to
// the column's common type), the common type of the rows' old types.
func oldValuesTypes(rows [][]expr.Expr) []table.Type {
	if len(rows) == 0 {
		return nil
	}
	out := make([]table.Type, len(rows[0]))
	for j := range out {
		ts := make([]table.Type, len(rows))
		for i, r := range rows {
			ts[i] = r[j].Type()
			if _, col := r[j].(*expr.Column); !col {
				if t, ok := oldExprType(nil, r[j]); ok {
					ts[i] = t.WithNullable(r[j].Type().Nullable())
				}
			}
		}
		t, ok := table.CommonType(ts...)
		if !ok {
			return nil
		}
		out[j] = t
	}
	return out
}

// oldExprType is the old type of e, an expression over in's columns.
func oldExprType(in Node, e expr.Expr) (table.Type, bool) {
	switch x := e.(type) {
	case *expr.Column:
		return oldType(in, x.Index), true
	case *expr.Cast:
		if !x.Literal {
			return table.Type{}, false
		}
		switch x.T.Root() {
		case table.RootTimestamp:
			return table.TimestampType(3), true
		case table.RootTimestampLTZ:
			return table.TimestampLTZType(3), true
		case table.RootTime:
			return table.TimeType(0), true
		}
	}
	return table.Type{}, false
}

// oldAggOutType is the old type of output column i of an aggregation over
// in: the keys, skip window columns, the aggregates.
func oldAggOutType(in Node, keys []int, skip int, aggs []AggCall, i int, out table.Type) (table.Type, bool) {
	if i < len(keys) {
		return oldType(in, keys[i]), true
	}
	i -= len(keys) + skip
	if i < 0 || i >= len(aggs) || !aggs[i].F.ResultType().WithTimeAttr(table.NoTimeAttr).EqualIgnoringNull(out.WithTimeAttr(table.NoTimeAttr)) {
		return table.Type{}, false
	}
	a := aggs[i]
	res := a.F.ResultType().WithTimeAttr(table.NoTimeAttr)
	// MIN_RETRACT and the like over an updating input keep their
	// argument's type too.
	name := strings.TrimSuffix(strings.ToUpper(a.F.Name()), "_RETRACT")
	switch {
	case res.Root() == table.RootFloat && (strings.HasPrefix(name, "SUM") || strings.HasPrefix(name, "AVG")):
		return table.DoubleType(), true
	case len(a.Args) == 1 && (name == "MIN" || name == "MAX" || name == "FIRST_VALUE" || name == "LAST_VALUE") &&
		res.EqualIgnoringNull(in.Cols()[a.Args[0]].Type.WithTimeAttr(table.NoTimeAttr)):
		return oldType(in, a.Args[0]), true
	}
	return table.Type{}, false
}

// castBeforeSQLTypes reports whether main's build before branch sqltypes
// cast the IN operand of old type old to the common type of the old types
// ol and or (it made the same hidden cast column), or could not plan the
// comparison (TIME of two precisions: no cast between them existed).
func castBeforeSQLTypes(old, ol, or table.Type) (cast, planned bool) {
	if ol.EqualIgnoringNull(or) {
		return false, true
	}
	ct, ok := table.CommonType(ol, or)
	if !ok || (ol.Root() == table.RootTime && or.Root() == table.RootTime) {
		return false, false
	}
	return !old.EqualIgnoringNull(ct), true
}
