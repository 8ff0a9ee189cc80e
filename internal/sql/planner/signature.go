package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/table"
)

// State signatures (DESIGN.md §7 "State signatures"): a short canonical
// description of what a stateful operator's state means and how it is
// laid out: the operator's kind (its UID's), the types of its key columns,
// of the rows it stores or of its accumulators, its aggregate calls, its
// sort keys and limit, its window, its join sides. Checkpoints record it
// next to the operator's UID, and a restore refuses state recorded under
// the UID with another signature (internal/cluster): SQL UIDs are numbered
// by the operator's position in the plan, so a changed query can give an
// operator the UID another one had.
//
// It is deliberately not the EXPLAIN text: it names no column (a rename
// keeps the state), and types are written without nullability and time
// attribute markers (the row codec encodes a value alike either way), so
// a change that keeps what the state holds (a WHERE before an aggregation,
// a renamed column) keeps the signature. Changing what a signature says
// for an unchanged query makes its old savepoints refused: the golden
// file streamsql/testdata/nexmark_signatures.txt shows such a change in
// review.

// stateless are the UID kinds of operators without state of their own:
// they get no signature (a source's positions are its connector's, under
// a UID that names its table).
var stateless = []string{"scan-", "calc", "values", "encode", "expand", "window-tvf", "window-out", "correlate", "restamp"}

// signature returns the state signature of the operator of UID kind kind
// translating node n (nil: none), or "" for a stateless operator.
func signature(kind string, n Node) string {
	for _, p := range stateless {
		if strings.HasPrefix(kind, p) {
			return ""
		}
	}
	if n == nil {
		return ""
	}
	if x, ok := n.(*IntervalOuterJoin); ok && x.Proctime {
		return procJoinSignature(kind, x) // intervaljoin_proc.go
	}
	var b strings.Builder
	b.WriteString(kind)
	switch x := n.(type) {
	case *GroupAgg:
		fmt.Fprintf(&b, " keys=%s aggs=%s", keySig(x.In, x.Keys), aggSigs(x.In, x.Aggs))
	case *WindowAgg:
		fmt.Fprintf(&b, " window=%s", x.Kind)
		if x.Proctime {
			b.WriteString(" proctime")
		}
		fmt.Fprintf(&b, "(size=%s", durSig(x.Size))
		if x.Slide != 0 {
			fmt.Fprintf(&b, ", step=%s", durSig(x.Slide))
		}
		if x.Offset != 0 {
			fmt.Fprintf(&b, ", offset=%s", durSig(x.Offset))
		}
		fmt.Fprintf(&b, ") keys=%s aggs=%s", keySig(x.In, x.Keys), aggSigs(x.In, x.Aggs))
	case *TopN:
		fmt.Fprintf(&b, " %s partition=%s order=%s limit=%d", x.Func, keySig(x.In, x.Partition), orderSig(x), x.N)
		if x.TiesToNew {
			b.WriteString(" ties-to-new")
		}
		if x.WindowEnd >= 0 {
			b.WriteString(" per-window")
		}
		if x.stored != nil {
			b.WriteString(" rows=" + typesOf(x.stored))
		} else {
			b.WriteString(" rows=" + typesOf(x.In.Cols()))
		}
	case *Deduplicate:
		keep, order := "first", "rowtime"
		if x.KeepLast {
			keep = "last"
		}
		if x.Proctime {
			order = "proctime"
		}
		fmt.Fprintf(&b, " keep=%s order=%s", keep, order)
		if x.NullsFirst {
			b.WriteString(" nulls-first")
		}
		fmt.Fprintf(&b, " keys=%s rows=%s", keySig(x.In, x.Keys), typesOf(x.In.Cols()))
	case *RegularJoin:
		fmt.Fprintf(&b, " %s left-keys=%s right-keys=%s%s left=%s right=%s", x.Kind,
			keySig(x.L, x.LKeys), keySig(x.R, x.RKeys), nullSafeSig(x.NullSafe), typesOf(x.L.Cols()), typesOf(x.R.Cols()))
		// Not the residual condition: it decides which pairs match, not
		// how the sides' rows are kept (as a WHERE before an aggregation
		// decides which rows count), and its text is EXPLAIN's.
	case *JoinRank:
		// The join's sides and keys, which side is unique, then the
		// Top-N's partition, order and limit and the rows it keeps (the
		// Calc's).
		j, t := x.J, x.T
		side := "left"
		if x.unique == uniqueRight {
			side = "right"
		}
		fmt.Fprintf(&b, " %s left-keys=%s right-keys=%s%s left=%s right=%s unique=%s %s partition=%s order=%s limit=%d",
			j.Kind, keySig(j.L, j.LKeys), keySig(j.R, j.RKeys), nullSafeSig(j.NullSafe), typesOf(j.L.Cols()), typesOf(j.R.Cols()), side,
			t.Func, keySig(t.In, t.Partition), orderSig(t), t.N)
		if t.TiesToNew {
			b.WriteString(" ties-to-new")
		}
		b.WriteString(" rows=" + typesOf(t.In.Cols()))
		// The top rows' layout (joinRankFn.appendTop): 2 keeps of each
		// row its unique row's index and the columns that are not a
		// column of that row (until 2026-12-06 the whole row: a state
		// of that layout has no "top-layout" and is refused).
		b.WriteString(" top-layout=2 top-kept=" + typesSig(x.kept))
	case *IntervalJoin:
		fmt.Fprintf(&b, " left-keys=%s right-keys=%s%s between=[%s, %s] left=%s right=%s",
			keySig(x.L, x.LKeys), keySig(x.R, x.RKeys), nullSafeSig(x.NullSafe), durSig(x.Lower), durSig(x.Upper),
			typesOf(x.L.Cols()), typesOf(x.R.Cols()))
	default:
		// Any other operator: its inputs' and its output's row types, what
		// it may store and what it computes, conservatively.
		fmt.Fprintf(&b, " %s", strings.TrimPrefix(fmt.Sprintf("%T", n), "*planner."))
		for i, in := range n.Inputs() {
			fmt.Fprintf(&b, " in%d=%s", i, typesOf(in.Cols()))
		}
		fmt.Fprintf(&b, " out=%s", typesOf(n.Cols()))
	}
	return b.String()
}

// orderSig is the signature of a Top-N's sort keys.
func orderSig(x *TopN) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, k := range x.Order {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(typeSig(x.In.Cols()[k.Col].Type))
		if k.Desc {
			b.WriteString(" DESC")
		}
		if k.NullsFirst {
			b.WriteString(" NULLS FIRST")
		}
	}
	b.WriteByte(']')
	return b.String()
}

// typeSig is a type as its state holds it: no nullability, no time
// attribute, no length of a string or byte string (the row codec encodes
// them alike).
func typeSig(t table.Type) string {
	switch t.Root() {
	case table.RootChar, table.RootVarChar:
		return "STRING" // a length is a check on writes, not a layout
	case table.RootBinary, table.RootVarBinary:
		return "BYTES"
	}
	return t.AsNullable().WithTimeAttr(table.NoTimeAttr).String()
}

func typesSig(ts []table.Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = typeSig(t)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func typesOf(cols []Col) string {
	ts := make([]table.Type, len(cols))
	for i, c := range cols {
		ts[i] = c.Type
	}
	return typesSig(ts)
}

func keySig(in Node, idx []int) string {
	ts := make([]table.Type, len(idx))
	for i, k := range idx {
		ts[i] = in.Cols()[k].Type
	}
	return typesSig(ts)
}

func aggSigs(in Node, aggs []AggCall) string {
	s := make([]string, len(aggs))
	for i, a := range aggs {
		var b strings.Builder
		name := a.F.Name()
		if len(a.Args) == 0 && strings.HasSuffix(name, "(*)") {
			b.WriteString(name) // COUNT(*)
		} else {
			b.WriteString(name)
			b.WriteByte('(')
			if _, ok := a.F.(expr.DistinctAggregate); ok {
				b.WriteString("DISTINCT ")
			}
			for j, arg := range a.Args {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(typeSig(in.Cols()[arg].Type))
			}
			b.WriteByte(')')
		}
		if a.Filter >= 0 {
			b.WriteString(" FILTER")
		}
		fmt.Fprintf(&b, ": %s acc=%s", typeSig(a.F.ResultType()), typesSig(a.F.AccTypes()))
		s[i] = b.String()
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func nullSafeSig(ns []bool) string {
	var b strings.Builder
	for i, v := range ns {
		if v {
			fmt.Fprintf(&b, " null-safe-key=%d", i)
		}
	}
	return b.String()
}

func durSig(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }
