package expr

// A reviewer's generator of random typed expressions over crafted rows
// (NULLs, Unicode case edges, padded CHAR, extreme integers, casts, MOD,
// LOWER CASEs, AND/OR with NULL and failing operands, regexes, splits),
// used by TestReviewSharedWide: shared programs against plain ones.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/stromio/strom/table"
)

// Columns: 0 s STRING, 1 v VARCHAR(3), 2 c CHAR(4), 3 n INT, 4 b BIGINT,
// 5 ts TIMESTAMP(3), 6 d DECIMAL(6,2), 7 t TINYINT, 8 bo BOOLEAN, 9 l TIMESTAMP_LTZ(3)
var rvCols = []table.Type{table.StringType(), table.VarCharType(3), table.CharType(4), table.IntType(), table.BigIntType(),
	table.TimestampType(3), table.DecimalType(6, 2), table.TinyIntType(), table.BooleanType(), table.TimestampLTZType(3)}

type rvGen struct{ r *rand.Rand }

func (g *rvGen) col(k int) Expr { return ColumnRef(k, fmt.Sprintf("c%d", k), rvCols[k]) }

func (g *rvGen) try(name string, args ...Expr) Expr {
	e, err := reg.Call(name, args...)
	if err != nil {
		return nil
	}
	return e
}

func (g *rvGen) strLit() Expr {
	return s([]string{"a", "A", "ab", "abc", "k", "\u212a", "i", "\u0130", "ä", "Ä", "", "a/b", "AB ", "ß", "SS"}[g.r.IntN(15)])
}

func (g *rvGen) str(d int) Expr {
	if d <= 0 {
		switch g.r.IntN(5) {
		case 0:
			return g.col(0)
		case 1:
			return cast(g.col(1), table.StringType())
		case 2:
			return cast(g.col(2), table.StringType())
		case 3:
			return g.col(0)
		}
		return g.strLit()
	}
	var e Expr
	switch g.r.IntN(12) {
	case 0:
		e = g.try("LOWER", g.str(d-1))
	case 1:
		e = g.try("UPPER", g.str(d-1))
	case 2:
		e = g.try("SPLIT_INDEX", g.str(d-1), s([]string{"/", "a", "ab", ""}[g.r.IntN(4)]), i(int64(g.r.IntN(4)-1)))
	case 3:
		x := g.str(0)
		var ws []When
		for k := 0; k < 1+g.r.IntN(3); k++ {
			l := g.try("LOWER", x)
			if g.r.IntN(2) == 0 {
				ws = append(ws, When{Cond: g.try("=", l, g.strLit()), Then: g.str(d - 1)})
			} else {
				ws = append(ws, When{Cond: g.try("=", g.strLit(), l), Then: g.str(d - 1)})
			}
		}
		var els Expr = Lit(table.Null, table.StringType())
		if g.r.IntN(2) == 0 {
			els = g.str(d - 1)
		}
		e, _ = NewCase(ws, els)
	case 4:
		e, _ = NewCase([]When{{Cond: g.cond(d - 1), Then: g.str(d - 1)}}, g.str(d-1))
	case 5:
		tt := []table.Type{table.StringType(), table.VarCharType(2), table.VarCharType(3), table.VarCharType(10), table.CharType(3), table.CharType(5)}[g.r.IntN(6)]
		e, _ = NewCast(g.str(d-1), tt, g.r.IntN(4) == 0)
	case 6:
		e, _ = NewCast(g.num(d-1), table.StringType(), false)
	case 7:
		e = g.try("REGEXP_EXTRACT", g.str(d-1), s([]string{"(&|^)a=([^&]*)", "(a|^)b([^c]*)", "(", "a(b)?"}[g.r.IntN(4)]), i(int64(g.r.IntN(4)-1)))
	case 8:
		e = g.try("||", g.str(d-1), g.str(d-1))
	case 9:
		e, _ = NewCast(g.tsx(d-1), table.StringType(), false)
	case 10:
		e, _ = NewCoalesce(g.str(d-1), g.str(d-1))
	default:
		e = g.try("CONCAT", g.str(d-1), g.strLit())
	}
	if e == nil {
		return g.str(0)
	}
	return e
}

func (g *rvGen) tsx(d int) Expr {
	x := g.col(5)
	if g.r.IntN(2) == 0 {
		x = g.col(9)
	}
	tt := []table.Type{table.TimestampType(0), table.TimestampType(3), table.TimestampType(6), table.TimestampLTZType(3), table.TimestampLTZType(6), table.TimestampType(3).NotNull(), table.DateType()}[g.r.IntN(7)]
	e, err := NewCast(x, tt, false)
	if err != nil {
		return x
	}
	return e
}

func (g *rvGen) numLit() Expr {
	switch g.r.IntN(6) {
	case 0:
		return BigIntLit([]int64{math.MinInt64, math.MaxInt64, -1, 1 << 40}[g.r.IntN(4)])
	case 1:
		return Lit(table.Int(int64(g.r.IntN(7)-3)), table.TinyIntType().NotNull())
	}
	return i([]int64{0, 1, -1, 2, -3, 7, 127, -128, math.MinInt32, math.MaxInt32}[g.r.IntN(10)])
}

func (g *rvGen) num(d int) Expr {
	if d <= 0 {
		switch g.r.IntN(5) {
		case 0:
			return g.col(3)
		case 1:
			return g.col(4)
		case 2:
			return g.col(7)
		case 3:
			return g.col(6)
		}
		return g.numLit()
	}
	var e Expr
	switch g.r.IntN(9) {
	case 0:
		e = g.try("MOD", g.col([]int{3, 4, 7}[g.r.IntN(3)]), g.numLit())
	case 1:
		e = g.try("%", g.col([]int{3, 4, 7}[g.r.IntN(3)]), g.numLit())
	case 2:
		e = g.try("/", g.num(d-1), g.num(d-1))
	case 3:
		tt := []table.Type{table.IntType(), table.BigIntType(), table.TinyIntType(), table.DecimalType(6, 2), table.DecimalType(4, 1), table.DecimalType(10, 3), table.SmallIntType()}[g.r.IntN(7)]
		e, _ = NewCast(g.num(d-1), tt, g.r.IntN(4) == 0)
	case 4:
		e, _ = NewCast(g.str(d-1), []table.Type{table.IntType(), table.BigIntType()}[g.r.IntN(2)], g.r.IntN(3) == 0)
	case 5:
		e, _ = NewCase([]When{{Cond: g.cond(d - 1), Then: g.num(d - 1)}}, g.num(d-1))
	case 6:
		e = g.try("+", g.num(d-1), g.num(d-1))
	case 7:
		e = g.try("CHAR_LENGTH", g.str(d-1))
	default:
		e = g.try("MOD", g.num(d-1), g.num(d-1))
	}
	if e == nil {
		return g.num(0)
	}
	return e
}

func (g *rvGen) cond(d int) Expr {
	if d <= 0 {
		switch g.r.IntN(4) {
		case 0:
			return g.col(8)
		case 1:
			return Lit(table.Null, table.BooleanType())
		case 2:
			return BoolLit(g.r.IntN(2) == 0)
		}
		return g.try("=", g.try("LOWER", g.str(0)), g.strLit())
	}
	var e Expr
	switch g.r.IntN(14) {
	case 0:
		e = g.try("=", g.str(d-1), g.str(d-1))
	case 1:
		e = g.try([]string{">", "<", "=", "<>", ">=", "<="}[g.r.IntN(6)], g.num(d-1), g.num(0))
	case 2:
		e = NewIsNull(g.any(d-1), g.r.IntN(2) == 0)
	case 3:
		e, _ = NewAnd(g.cond(d-1), g.cond(d-1))
	case 4, 5:
		e, _ = NewOr(g.cond(d-1), g.cond(d-1), g.cond(d-1))
	case 6:
		e, _ = NewOr(g.cond(d-1), g.cond(d-1))
	case 7:
		e, _ = NewNot(g.cond(d - 1))
	case 8:
		e, _ = NewIn(g.try("LOWER", g.str(d-1)), []Expr{g.strLit(), g.strLit()}, g.r.IntN(2) == 0)
	case 9:
		e = g.try([]string{"=", "<>", ">"}[g.r.IntN(3)], g.try("MOD", g.col([]int{3, 4, 7}[g.r.IntN(3)]), g.numLit()), g.numLit())
	case 10:
		e, _ = NewIsBool(g.cond(d-1), g.r.IntN(2) == 0, g.r.IntN(2) == 0)
	case 11:
		e = g.try("REGEXP", g.str(d-1), s([]string{"a", "(", "^A", ""}[g.r.IntN(4)]))
	case 12:
		e = g.try("=", g.tsx(d-1), g.tsx(d-1))
	default:
		e, _ = NewAnd(g.cond(d-1), g.cond(d-1), g.cond(d-1))
	}
	if e == nil {
		return g.cond(0)
	}
	return e
}

func (g *rvGen) any(d int) Expr {
	switch g.r.IntN(4) {
	case 0:
		return g.num(d)
	case 1:
		return g.cond(d)
	case 2:
		return g.tsx(d)
	}
	return g.str(d)
}

func rvRows(r *rand.Rand, k int) []table.Row {
	strs := []table.Value{table.Null, table.Str(""), table.Str("a"), table.Str("A"), table.Str("Ab"), table.Str("abc"), table.Str("K"),
		table.Str("\u212a"), table.Str("\u0130"), table.Str("Ä"), table.Str("a/b/c"), table.Str("&a=1&b"), table.Str("xab"), table.Str("12"),
		table.Str("-7"), table.Str("\xff"), table.Str("ab  "), table.Str("SS"), table.Str("ß"), table.Str("ab ")}
	ints := []int64{0, 1, -1, 3, -7, 127, -128, math.MaxInt32, math.MinInt32}
	bigs := []int64{0, 1, -1, 5, -9, math.MinInt64, math.MaxInt64, 1 << 40}
	var rows []table.Row
	for j := 0; j < k; j++ {
		pick := func(p int) bool { return r.IntN(8) != 0 }
		f := make([]table.Value, 10)
		f[0] = strs[r.IntN(len(strs))]
		f[1] = strs[r.IntN(len(strs))]
		if f[1].Kind() == table.KindString && len(f[1].AsString()) > 3 {
			f[1] = table.Str(f[1].AsString()[:3])
		}
		f[2] = strs[r.IntN(len(strs))]
		if f[2].Kind() == table.KindString {
			s := f[2].AsString()
			if len(s) > 4 {
				s = s[:4]
			}
			f[2] = table.Str(s + strings.Repeat(" ", 4-len(s)))
		}
		f[3], f[4], f[7] = table.Null, table.Null, table.Null
		if pick(0) {
			f[3] = table.Int(ints[r.IntN(len(ints))])
		}
		if pick(0) {
			f[4] = table.Int(bigs[r.IntN(len(bigs))])
		}
		if pick(0) {
			f[7] = table.Int(int64(r.IntN(256) - 128))
		}
		f[5], f[9] = table.Null, table.Null
		if pick(0) {
			f[5] = table.Timestamp(int64(r.IntN(1e9))*1000+int64(r.IntN(1000)), int32([]int{0, 123456, 999}[r.IntN(3)]))
		}
		if pick(0) {
			f[9] = table.Timestamp(int64(r.IntN(1e9))*1000+int64(r.IntN(1000)), int32([]int{0, 123456}[r.IntN(2)]))
		}
		f[6] = table.Null
		if d, err := table.ParseDecimal([]string{"1.25", "-3.50", "9999.99", "0.01"}[r.IntN(4)]); err == nil && pick(0) {
			f[6] = table.DecimalValue(d)
		}
		f[8] = []table.Value{table.Null, table.Bool(true), table.Bool(false)}[r.IntN(3)]
		rows = append(rows, table.NewRow(f...))
	}
	return rows
}

func rvShow(v table.Value, err error) string {
	if err != nil {
		return "ERR:" + err.Error()
	}
	return v.String()
}
