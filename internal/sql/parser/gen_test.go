package parser

import (
	"testing"

	"pgregory.net/rapid"
)

// genExpr draws a random expression tree of the shapes the parser builds,
// with depth at most d.
func genExpr(t *rapid.T, d int) Expr {
	leaf := func() Expr {
		switch rapid.IntRange(0, 6).Draw(t, "leaf") {
		case 0:
			return &Literal{Kind: LitNumber, Value: rapid.SampledFrom([]string{"0", "1", "2.5", ".5", "1e3"}).Draw(t, "num")}
		case 1:
			return &Literal{Kind: LitString, Value: rapid.SampledFrom([]string{"", "a", "it's", "--", "/*"}).Draw(t, "str")}
		case 2:
			return &Literal{Kind: LitBool, Value: rapid.SampledFrom([]string{"TRUE", "FALSE", "UNKNOWN"}).Draw(t, "bool")}
		case 3:
			return &Literal{Kind: LitNull, Value: "NULL"}
		case 4:
			return &FuncCall{Name: qname("CURRENT_TIMESTAMP"), NoParens: true}
		case 5:
			return &IntervalLit{Value: "10", From: "SECOND"}
		}
		n := rapid.IntRange(1, 3).Draw(t, "parts")
		c := &ColumnRef{}
		for i := 0; i < n; i++ {
			c.Parts = append(c.Parts, &Ident{Name: rapid.SampledFrom([]string{"a", "b", "value", "select", "x y", "CURRENT_DATE"}).Draw(t, "name")})
		}
		return c
	}
	if d == 0 {
		return leaf()
	}
	sub := func() Expr { return genExpr(t, d-1) }
	switch rapid.IntRange(0, 15).Draw(t, "kind") {
	case 0:
		return leaf()
	case 1, 2, 3:
		op := rapid.SampledFrom([]string{"OR", "AND", "=", "<>", "<", ">=", "+", "-", "*", "/", "%", "||"}).Draw(t, "op")
		return &Binary{Op: op, L: sub(), R: sub()}
	case 4:
		return &Unary{Op: rapid.SampledFrom([]string{"-", "+", "NOT"}).Draw(t, "unop"), X: sub()}
	case 5:
		return &IsExpr{X: sub(), Not: rapid.Bool().Draw(t, "not"), What: rapid.SampledFrom([]string{"NULL", "TRUE", "FALSE", "UNKNOWN"}).Draw(t, "what")}
	case 6:
		return &IsDistinct{X: sub(), Y: sub(), Not: rapid.Bool().Draw(t, "not")}
	case 7:
		return &Between{X: sub(), Lo: sub(), Hi: sub(), Not: rapid.Bool().Draw(t, "not")}
	case 8:
		return &InList{X: sub(), List: []Expr{sub(), sub()}, Not: rapid.Bool().Draw(t, "not")}
	case 9:
		l := &Like{X: sub(), Pattern: sub(), Not: rapid.Bool().Draw(t, "not"), Similar: rapid.Bool().Draw(t, "similar")}
		if rapid.Bool().Draw(t, "escape") {
			l.Escape = sub()
		}
		return l
	case 10:
		return &Index{X: sub(), I: sub()}
	case 11:
		return &FieldAccess{X: sub(), Field: &Ident{Name: "f"}}
	case 12:
		return &FuncCall{Name: qname("f"), Args: []Expr{sub(), sub()}}
	case 13:
		j := &JSONCall{Func: "JSON_VALUE", Args: []Expr{sub(), sub()}}
		if rapid.Bool().Draw(t, "returning") {
			j.Returning = &DataType{Name: "INT", Null: rapid.Bool().Draw(t, "null"), NotNull: rapid.Bool().Draw(t, "notnull")}
			if j.Returning.NotNull {
				j.Returning.Null = false
			}
		}
		behavior := func() *JSONBehavior {
			switch rapid.IntRange(0, 3).Draw(t, "behavior") {
			case 0:
				return nil
			case 1:
				return &JSONBehavior{Kind: "NULL"}
			case 2:
				return &JSONBehavior{Kind: "ERROR"}
			}
			return &JSONBehavior{Kind: "DEFAULT", Default: sub()}
		}
		j.OnEmpty, j.OnError = behavior(), behavior()
		return j
	case 14:
		j := &JSONCall{Func: rapid.SampledFrom([]string{"JSON_ARRAY", "JSON_OBJECT"}).Draw(t, "json")}
		n := rapid.IntRange(0, 2).Draw(t, "n")
		for i := 0; i < n; i++ {
			if j.Func == "JSON_ARRAY" {
				j.Args = append(j.Args, sub())
			} else {
				j.Keys = append(j.Keys, sub())
				j.Values = append(j.Values, sub())
			}
		}
		j.OnNull = rapid.SampledFrom([]string{"", "NULL", "ABSENT"}).Draw(t, "onnull")
		return j
	}
	return &Case{Operand: sub(), Whens: []*When{{Cond: sub(), Result: sub()}}, Else: sub()}
}

func qname(s string) *QName { return &QName{Parts: []*Ident{{Name: s}}} }

// TestPrintParseRandomTrees: any expression tree prints to text that parses
// back to the same tree, so the printer's parentheses follow the parser's
// precedences exactly.
func TestPrintParseRandomTrees(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := genExpr(t, 4)
		out := Format(e)
		back, err := ParseExpr(out)
		if err != nil {
			t.Fatalf("printed %s does not parse: %v", out, err)
		}
		if Dump(back) != Dump(e) {
			t.Fatalf("printed %s reads back as\n%s\nnot\n%s", out, Dump(back), Dump(e))
		}
	})
}
