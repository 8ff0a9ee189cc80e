package expr

import (
	"slices"

	"github.com/stromio/strom/table"
)

// cheapFirst returns the operands of an AND/OR in the order to evaluate
// them: when none can raise an error (errorFree), the cheap ones first
// (Nexmark q21's LOWER(channel) IN (...) before REGEXP_EXTRACT(url, ...)
// IS NOT NULL): AND and OR of operands without errors or side effects are
// commutative in SQL's three-valued logic, and the first decisive operand
// stops the evaluation, so the expensive one runs for fewer rows. Else (an
// operand may fail) the written order, which decides which error a row
// raises. The result is a new slice when reordered.
func cheapFirst(args []Expr) []Expr {
	costs := make([]int, len(args))
	sorted := true
	for i, a := range args {
		if !errorFree(a) {
			return args
		}
		costs[i] = cost(a)
		sorted = sorted && (i == 0 || costs[i-1] <= costs[i])
	}
	if sorted {
		return args
	}
	idx := make([]int, len(args))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return costs[a] - costs[b] })
	out := make([]Expr, len(args))
	for i, k := range idx {
		out[i] = args[k]
	}
	return out
}

// errorFree reports whether evaluating e never raises an error, for the
// few shapes cheapFirst looks at: columns, literals, identity casts,
// NULL tests, NOT, AND/OR, IN and = / <> of such operands, and the
// built-in LOWER, UPPER, SPLIT_INDEX, REGEXP_EXTRACT and REGEXP (an
// invalid pattern gives NULL or FALSE, not an error).
func errorFree(e Expr) bool {
	switch e := e.(type) {
	case *Column:
		return e.Index >= 0
	case *Literal:
		return true
	case *Cast:
		return identityCast(e.X.Type(), e.T) && errorFree(e.X)
	case *IsNull:
		return errorFree(e.X)
	case *IsBool:
		return errorFree(e.X)
	case *Not:
		return errorFree(e.X)
	case *Logic:
		return allErrorFree(e.Args)
	case *In:
		return errorFree(e.X) && allErrorFree(e.List)
	case *Call:
		if e.Overload == nil || e.Overload.UserDefined || e.Overload.Volatile {
			return false
		}
		switch e.Name {
		case "LOWER", "UPPER", "SPLIT_INDEX", "REGEXP_EXTRACT", "REGEXP":
		case "=", "<>":
			// Texts, or integers or booleans of one type.
			a, b := e.Args[0].Type(), e.Args[1].Type()
			switch {
			case a.IsString() && b.IsString():
			case a.Root() != b.Root():
				return false
			default:
				switch a.Root() {
				case table.RootTinyInt, table.RootSmallInt, table.RootInt, table.RootBigInt, table.RootBoolean:
				default:
					return false
				}
			}
		default:
			return false
		}
		return allErrorFree(e.Args)
	}
	return false
}

func allErrorFree(es []Expr) bool {
	for _, x := range es {
		if !errorFree(x) {
			return false
		}
	}
	return true
}

// cost is a rough evaluation cost of an errorFree expression: a regular
// expression or a split scans the text, the rest is a few comparisons.
func cost(e Expr) int {
	switch e := e.(type) {
	case *Cast:
		return cost(e.X)
	case *IsNull:
		return 1 + cost(e.X)
	case *IsBool:
		return 1 + cost(e.X)
	case *Not:
		return 1 + cost(e.X)
	case *Logic:
		return 1 + costAll(e.Args)
	case *In:
		return 1 + cost(e.X) + costAll(e.List)
	case *Call:
		c := 1
		switch e.Name {
		case "SPLIT_INDEX", "REGEXP_EXTRACT", "REGEXP":
			c = 20
		}
		return c + costAll(e.Args)
	}
	return 0
}

func costAll(es []Expr) int {
	n := 0
	for _, x := range es {
		n += cost(x)
	}
	return n
}

// ErrorFree reports whether evaluating e can never raise an error (a
// conservative answer: false for every shape errorFree does not know), so
// that the order in which it and other such expressions are evaluated is
// not observable.
func ErrorFree(e Expr) bool { return errorFree(e) }
