package planner

import (
	"strings"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/table"
)

// Equi-join keys whose types differ only by precision, width or numeric
// kind (TIMESTAMP(0) = TIMESTAMP(3), FLOAT = DOUBLE, INT = BIGINT): Flink
// casts both sides of `=` to their common type (Calcite's implicit
// coercion, JoinConditionTypeCoerceRule) on the side that is narrower. So
// do the joins here: the narrower side's key column is cast in place by a
// Calc below the join (keyCastCalc), the join pairs rows by equal values
// of the common type, and, where the join's output shows that side's
// columns, a Calc above gives the column back its own type (castBackCalc:
// a cast for numbers, exact since their values came from that type; only
// the type for TIME, TIMESTAMP, VARCHAR and VARBINARY, whose key cast to a
// wider one is the identity, so a TIME(0) holding milliseconds or a
// VARCHAR(3) holding 'abcdefg' keeps them: keptByKeyCast). A column in
// several key pairs is cast once, to the common type of all of them
// (keyCasts). Both
// Calcs are marked implicit: they take UIDs of their own namespace
// (calc.go), so the stateful operators keep the UIDs a plan without the
// casts gives. Types without a common type to which both implicitly cast
// (STRING and INT, DATE and TIME), or whose common type rounds one side
// (BIGINT and DOUBLE: roundsTo), are still refused.

// keyCommonType is the type both keys of types a and b are compared as,
// the zero Type when they are equal (ignoring nullability and time
// attributes); ok is false when they have no common type.
func keyCommonType(a, b table.Type) (t table.Type, cast, ok bool) {
	a, b = a.WithTimeAttr(table.NoTimeAttr), b.WithTimeAttr(table.NoTimeAttr)
	if a.EqualIgnoringNull(b) {
		return table.Type{}, false, true
	}
	c, ok := table.CommonType(a.AsNullable(), b.AsNullable())
	if !ok || !table.SupportsImplicitCast(a.AsNullable(), c) || !table.SupportsImplicitCast(b.AsNullable(), c) ||
		roundsTo(a, c) || roundsTo(b, c) {
		return table.Type{}, false, false
	}
	return c, true, true
}

// roundsTo reports whether casting a value of type from to type to may
// change it (BIGINT or DECIMAL as DOUBLE, INT as FLOAT, a DECIMAL with
// fewer integer or fraction digits): the join's output carries the cast
// key, and casting it back above the join would then not give the row's
// own value (review of branch sqltypes: 9007199254740993 came out as
// ...992). Such keys are refused, as before that branch.
func roundsTo(from, to table.Type) bool {
	f, t := from.Root(), to.Root()
	switch t {
	case table.RootFloat:
		return f == table.RootInt || f == table.RootBigInt || f == table.RootDecimal
	case table.RootDouble:
		return f == table.RootBigInt || f == table.RootDecimal
	case table.RootDecimal:
		switch f {
		case table.RootDecimal:
			return to.Scale() < from.Scale() || to.Precision()-to.Scale() < from.Precision()-from.Scale()
		case table.RootBigInt:
			return to.Precision()-to.Scale() < 19
		case table.RootInt:
			return to.Precision()-to.Scale() < 10
		}
	}
	return false
}

// keyCasts is, for the key pairs (lkeys[i] of l, rkeys[i] of r) whose
// types differ, the type each side's column is cast to (by column index;
// a side that already has the common type has no entry). A column in
// several pairs (a.id = b.x AND a.id = b.y) is cast once, to the common
// type of all the columns it is compared with, and so are they (review of
// branch sqlleft2: each pair cast it to its own common type and the map
// kept the last, so the other pair compared two types and never matched).
// bad is the first pair without a common type that keeps both sides'
// values, -1 for none; shared reports that its pair alone had one, and
// the column's other pairs made it round (INT compared with a BIGINT and
// a DOUBLE: the BIGINT as DOUBLE).
func keyCasts(l, r []table.Type, lkeys, rkeys []int) (lc, rc map[int]table.Type, bad int, shared bool) {
	plain := func(t table.Type) table.Type { return t.WithTimeAttr(table.NoTimeAttr) }
	tl, tr := map[int]table.Type{}, map[int]table.Type{}
	for i := range lkeys {
		lt, rt := l[lkeys[i]], r[rkeys[i]]
		if _, _, ok := keyCommonType(lt, rt); !ok {
			return nil, nil, i, false
		}
		tl[lkeys[i]], tr[rkeys[i]] = plain(lt).AsNullable(), plain(rt).AsNullable()
	}
	// The common type of each column's pairs, to a fixpoint (a chain of
	// shared columns takes one type).
	for changed, n := true, 0; changed && n <= len(lkeys); n++ {
		changed = false
		for i := range lkeys {
			a, b := tl[lkeys[i]], tr[rkeys[i]]
			if a.EqualIgnoringNull(b) {
				continue
			}
			c, ok := table.CommonType(a, b)
			if !ok {
				return nil, nil, i, true
			}
			tl[lkeys[i]], tr[rkeys[i]], changed = c, c, true
		}
	}
	exact := keyCastExact
	for i := range lkeys {
		lt, rt := l[lkeys[i]], r[rkeys[i]]
		c := tl[lkeys[i]]
		if !c.EqualIgnoringNull(tr[rkeys[i]]) || !exact(lt, c) || !exact(rt, c) {
			return nil, nil, i, true
		}
		if !plain(lt).EqualIgnoringNull(c) {
			if lc == nil {
				lc = map[int]table.Type{}
			}
			lc[lkeys[i]] = c.WithNullable(lt.Nullable())
		}
		if !plain(rt).EqualIgnoringNull(c) {
			if rc == nil {
				rc = map[int]table.Type{}
			}
			rc[rkeys[i]] = c.WithNullable(rt.Nullable())
		}
	}
	return lc, rc, -1, false
}

// keyCastExact reports whether a key of type from cast to its common
// type to keeps its value: the same type, or an implicit cast that does
// not round (roundsTo).
func keyCastExact(from, to table.Type) bool {
	from = from.WithTimeAttr(table.NoTimeAttr)
	return from.EqualIgnoringNull(to) ||
		(table.SupportsImplicitCast(from.AsNullable(), to) && !roundsTo(from, to))
}

// sharedKeyHint is the end of the message refusing pair i of keyCasts
// when shared: every other pair of the group of pairs connected to it by
// shared columns (a chain a.p = b.x AND a.q = b.x AND a.q = b.y is one
// group, though a.p = b.x shares no column with a.q = b.y), the common
// type the group reached and the columns it would round (review of branch
// sqlleft2: only the pairs sharing a column with pair i were named, all
// integers in that chain, not the DOUBLE that made the common type).
func sharedKeyHint(l, r []table.Type, lcol, rcol func(int) string, lkeys, rkeys []int, i int) string {
	in := make([]bool, len(lkeys))
	in[i] = true
	for changed := true; changed; {
		changed = false
		for k := range lkeys {
			if in[k] {
				continue
			}
			for j := range lkeys {
				if in[j] && (lkeys[j] == lkeys[k] || rkeys[j] == rkeys[k]) {
					in[k], changed = true, true
					break
				}
			}
		}
	}
	var with []string
	type col struct {
		name string
		t    table.Type
	}
	var cols []col
	lseen, rseen := map[int]bool{}, map[int]bool{}
	for k := range lkeys {
		if !in[k] {
			continue
		}
		if k != i {
			with = append(with, lcol(lkeys[k])+" = "+rcol(rkeys[k]))
		}
		if !lseen[lkeys[k]] {
			lseen[lkeys[k]] = true
			cols = append(cols, col{lcol(lkeys[k]), l[lkeys[k]]})
		}
		if !rseen[rkeys[k]] {
			rseen[rkeys[k]] = true
			cols = append(cols, col{rcol(rkeys[k]), r[rkeys[k]]})
		}
	}
	c, ok := cols[0].t.WithTimeAttr(table.NoTimeAttr).AsNullable(), true
	for _, o := range cols[1:] {
		if c, ok = table.CommonType(c, o.t.WithTimeAttr(table.NoTimeAttr).AsNullable()); !ok {
			break
		}
	}
	why := "they have no common type"
	if ok {
		var round []string
		for _, o := range cols {
			if !keyCastExact(o.t, c) {
				round = append(round, o.name)
			}
		}
		why = "their common type " + c.String() + " would round " + strings.Join(round, " and ")
	}
	return ", compared together with " + strings.Join(with, " and ") + ": " + why +
		", so the comparisons cannot be made on one key type; CAST the columns to one type explicitly"
}

func colTypes(cs []Col) []table.Type {
	ts := make([]table.Type, len(cs))
	for i, c := range cs {
		ts[i] = c.Type
	}
	return ts
}

// keyCastCalc is n with its columns of casts (index: type) cast in place
// by an implicit Calc; n itself when casts is empty.
func keyCastCalc(n Node, casts map[int]table.Type) (Node, error) {
	if len(casts) == 0 {
		return n, nil
	}
	cols := append([]Col(nil), n.Cols()...)
	es := make([]expr.Expr, len(cols))
	for i, c := range cols {
		es[i] = expr.ColumnRef(i, c.Name, c.Type)
		if t, ok := casts[i]; ok {
			e, err := expr.NewCast(es[i], t, false)
			if err != nil {
				return nil, err
			}
			es[i], cols[i].Type = e, e.Type()
		}
	}
	return &Calc{In: n, Exprs: es, cols: cols, implicit: true}, nil
}

// castBackCalc is an implicit Calc over n whose columns are want (n's,
// some of a wider type): the columns whose type differs are cast to
// want's; n itself when none does. A column whose key cast kept its value
// as it was (keptByKeyCast: TIME(0) to TIME(1)) is only given its own type
// back, not cast: a TIME(0) may hold milliseconds (CAST(ts AS TIME) keeps
// them, as Flink does), and casting 12:00:00.500 back to TIME(0) would
// truncate the row's own value to 12:00:00 (review of branch sqlleft).
func castBackCalc(n Node, want []Col) (Node, error) {
	have := n.Cols()
	es := make([]expr.Expr, len(have))
	same := true
	for i, c := range have {
		es[i] = expr.ColumnRef(i, c.Name, c.Type)
		if !c.Type.EqualIgnoringNull(want[i].Type) {
			same = false
			if keptByKeyCast(want[i].Type, c.Type) {
				es[i] = expr.ColumnRef(i, c.Name, want[i].Type.WithNullable(c.Type.Nullable()))
				continue
			}
			e, err := expr.NewCast(es[i], want[i].Type, false)
			if err != nil {
				return nil, err
			}
			es[i] = e
		}
	}
	if same {
		return n, nil
	}
	return &Calc{In: n, Exprs: es, cols: want, implicit: true}, nil
}

// keptByKeyCast reports whether the implicit cast of a key from type from
// to its common type to leaves a value as the row had it, so that the
// column needs no cast back above the join, only its type: a TIME, a
// VARCHAR, a VARBINARY, a TIMESTAMP(p) or a TIMESTAMP_LTZ(p) to a wider
// one of its kind, a CHAR(n) to a VARCHAR(m >= n), a BINARY(n) to a
// VARBINARY(m >= n). Such a cast is the identity, as in Flink (expr's
// widens; TIME's TimeToTimeCastRule), so a value holding more digits or
// characters than its type says (sources do not cut them: a VARCHAR(3)
// holding 'abcdefg', a TIME(0) with milliseconds) is neither cut below
// the join nor above it: the row's own value comes out (review of branch
// sqlleft2: the key cast cut 'abcdefg' to the common VARCHAR(5)). Numbers
// change their representation (INT to BIGINT, FLOAT to DOUBLE, DECIMAL
// scales) and are cast back, exactly since common types that round a
// side are refused (roundsTo).
func keptByKeyCast(from, to table.Type) bool {
	// Not padded back either: a CHAR(3) holding 'ab' stays 'ab', a
	// BINARY(3) holding x'0102' stays x'0102'.
	if from.Root() == table.RootTime && to.Root() == table.RootTime {
		return to.Precision() >= from.Precision()
	}
	return expr.Widens(from, to)
}
