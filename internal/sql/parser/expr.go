package parser

import (
	"fmt"
	"strings"
)

// Operator precedences, lowest first (after Calcite's).
const (
	precOr      = 1
	precAnd     = 2
	precNot     = 3 // prefix NOT
	precIs      = 4 // postfix IS ...
	precCmp     = 5 // = <> < <= > >=
	precPred    = 6 // [NOT] BETWEEN, IN, LIKE, SIMILAR TO
	precAdd     = 7 // + -
	precMul     = 8 // * / % ||
	precUnary   = 9 // prefix - +
	precPrimary = 10
)

func (p *parser) parseExpr() Expr { return p.parseExprPrec(precOr) }

// infixPrec returns the precedence of the operator at the current token, or
// 0 when the token does not continue an expression.
func (p *parser) infixPrec() int {
	t := p.tok()
	switch t.kind {
	case tOp:
		switch t.text {
		case "=", "<>", "!=", "<", "<=", ">", ">=":
			return precCmp
		case "+", "-":
			return precAdd
		case "*", "/", "%", "||":
			return precMul
		}
	case tWord:
		switch t.up {
		case "OR":
			return precOr
		case "AND":
			return precAnd
		case "IS":
			return precIs
		case "BETWEEN", "IN", "LIKE", "SIMILAR":
			return precPred
		case "NOT":
			if p.kwAt(1, "BETWEEN") || p.kwAt(1, "IN") || p.kwAt(1, "LIKE") || p.kwAt(1, "SIMILAR") {
				return precPred
			}
		}
	}
	return 0
}

func (p *parser) parseExprPrec(minPrec int) Expr {
	p.enter()
	defer p.leave()
	left := p.parsePrefix()
	for {
		prec := p.infixPrec()
		if prec == 0 || prec < minPrec {
			return left
		}
		t := p.next()
		at := left.Pos()
		switch {
		case prec == precIs:
			left = p.parseIs(left, at)
		case prec == precPred:
			not := false
			if t.up == "NOT" {
				not = true
				t = p.next()
			}
			left = p.parsePredicate(left, at, t, not)
		default:
			op := t.up
			if t.kind == tOp {
				op = t.text
			}
			if op == "!=" {
				op = "<>"
			}
			right := p.parseExprPrec(prec + 1)
			left = &Binary{node: node{At: at}, Op: op, L: left, R: right}
		}
	}
}

func (p *parser) parseIs(x Expr, at Pos) Expr {
	not := p.acceptKw("NOT")
	t := p.tok()
	switch {
	case p.isAnyKw("NULL", "TRUE", "FALSE", "UNKNOWN"):
		p.next()
		return &IsExpr{node: node{At: at}, X: x, Not: not, What: t.up}
	case p.isKw("JSON"):
		p.next()
		what := "JSON"
		if p.isAnyKw("VALUE", "SCALAR", "ARRAY", "OBJECT") {
			what += " " + p.next().up
		}
		return &IsExpr{node: node{At: at}, X: x, Not: not, What: what}
	case p.isKw("DISTINCT"):
		p.next()
		p.expectKw("FROM", "after IS DISTINCT")
		y := p.parseExprPrec(precAdd)
		return &IsDistinct{node: node{At: at}, X: x, Y: y, Not: not}
	}
	p.unexpected("NULL, TRUE, FALSE, UNKNOWN, JSON or DISTINCT FROM after IS", "NULL", "TRUE", "FALSE", "UNKNOWN", "DISTINCT", "JSON")
	return nil
}

func (p *parser) parsePredicate(x Expr, at Pos, t token, not bool) Expr {
	switch t.up {
	case "BETWEEN":
		b := &Between{node: node{At: at}, X: x, Not: not}
		if p.isAnyKw("SYMMETRIC", "ASYMMETRIC") {
			b.Mode = p.next().up
		}
		b.Lo = p.parseExprPrec(precAdd)
		p.expectKw("AND", "between the bounds of BETWEEN")
		b.Hi = p.parseExprPrec(precAdd)
		return b
	case "IN":
		open := p.expectOp("(", "after IN")
		if p.isAnyKw("SELECT", "WITH", "VALUES") {
			q := p.parseQuery()
			p.expectClose(open, "the subquery of IN")
			return &InQuery{node: node{At: at}, X: x, Not: not, Query: q}
		}
		in := &InList{node: node{At: at}, X: x, Not: not}
		for {
			in.List = append(in.List, p.parseExpr())
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectClose(open, "the IN list")
		return in
	case "SIMILAR":
		p.expectKw("TO", "after SIMILAR")
		fallthrough
	default: // LIKE
		l := &Like{node: node{At: at}, X: x, Not: not, Similar: t.up == "SIMILAR"}
		l.Pattern = p.parseExprPrec(precAdd)
		if p.acceptKw("ESCAPE") {
			l.Escape = p.parseExprPrec(precAdd)
		}
		return l
	}
}

func (p *parser) parsePrefix() Expr {
	t := p.tok()
	switch {
	case t.kind == tWord && t.up == "NOT":
		p.next()
		return &Unary{node: node{At: t.pos}, Op: "NOT", X: p.parseExprPrec(precNot)}
	case t.kind == tOp && (t.text == "-" || t.text == "+"):
		p.next()
		return &Unary{node: node{At: t.pos}, Op: t.text, X: p.parseExprPrec(precUnary)}
	}
	return p.parsePostfix(p.parsePrimary())
}

func (p *parser) parsePostfix(x Expr) Expr {
	for {
		switch {
		case p.isOp("["):
			open := p.next()
			i := p.parseExpr()
			p.expectClose(open, "the index")
			x = &Index{node: node{At: x.Pos()}, X: x, I: i}
		case p.isOp("."):
			p.next()
			f := p.parseIdent("a field name after \".\"")
			x = &FieldAccess{node: node{At: x.Pos()}, X: x, Field: f}
		default:
			return x
		}
	}
}

func (p *parser) parsePrimary() Expr {
	t := p.tok()
	at := node{At: t.pos}
	switch t.kind {
	case tNumber:
		p.next()
		return &Literal{node: at, Kind: LitNumber, Value: t.text}
	case tString:
		p.next()
		return &Literal{node: at, Kind: LitString, Value: t.text}
	case tQuoted:
		return p.parseNameExpr()
	case tOp:
		switch t.text {
		case "(":
			open := p.next()
			if p.isAnyKw("SELECT", "WITH", "VALUES") {
				q := p.parseQuery()
				p.expectClose(open, "the subquery")
				return &Subquery{node: at, Query: q}
			}
			e := p.parseExpr()
			if p.isOp(",") {
				r := &Row{node: at, Elems: []Expr{e}}
				for p.acceptOp(",") {
					r.Elems = append(r.Elems, p.parseExpr())
				}
				p.expectClose(open, "the row")
				return r
			}
			p.expectClose(open, "the parenthesised expression")
			return e
		case "?":
			p.next()
			p.params++
			return &Param{node: at, Index: p.params}
		}
	case tWord:
		switch t.up {
		case "TRUE", "FALSE", "UNKNOWN":
			p.next()
			return &Literal{node: at, Kind: LitBool, Value: t.up}
		case "NULL":
			p.next()
			return &Literal{node: at, Kind: LitNull, Value: "NULL"}
		case "DATE", "TIME", "TIMESTAMP", "TIMESTAMP_LTZ":
			if p.peek(1).kind == tString {
				p.next()
				v := p.next()
				return &TypedLiteral{node: at, Type: t.up, Value: v.text}
			}
		case "INTERVAL":
			p.next()
			iv := &IntervalLit{node: at}
			if p.acceptOp("-") {
				iv.Negative = true
			} else {
				p.acceptOp("+")
			}
			v := p.tok()
			if v.kind != tString && v.kind != tNumber {
				p.unexpected("the interval value as a 'string' after INTERVAL (e.g. INTERVAL '10' SECOND)")
			}
			p.next()
			iv.Value = v.text
			iv.From = p.parseUnit("a time unit after INTERVAL " + v.raw)
			if p.isKw("TO") {
				p.next()
				iv.To = p.parseUnit("a time unit after TO")
			}
			return iv
		case "CASE":
			return p.parseCase()
		case "CAST":
			return p.parseCast(false)
		case "TRY_CAST":
			if p.opAt(1, "(") {
				return p.parseCast(true)
			}
		case "EXISTS":
			p.next()
			open := p.expectOp("(", "after EXISTS")
			if !p.isAnyKw("SELECT", "WITH", "VALUES") {
				p.unexpected("a query after EXISTS (", "SELECT", "WITH", "VALUES")
			}
			q := p.parseQuery()
			p.expectClose(open, "the subquery of EXISTS")
			return &Exists{node: at, Query: q}
		case "ARRAY", "MAP":
			if p.opAt(1, "[") {
				p.next()
				open := p.next()
				var elems []Expr
				if !p.isOp("]") {
					for {
						elems = append(elems, p.parseExpr())
						if !p.acceptOp(",") {
							break
						}
					}
				}
				p.expectClose(open, "the "+t.up+" constructor")
				if t.up == "ARRAY" {
					return &ArrayCtor{node: at, Elems: elems}
				}
				if len(elems)%2 != 0 {
					p.failAt(t.pos, "MAP[...] needs an even number of elements (key, value pairs)")
				}
				return &MapCtor{node: at, Elems: elems}
			}
			if p.opAt(1, "(") {
				return p.parseNameExpr() // ARRAY(...), MAP(...) as functions
			}
		case "ROW":
			if p.opAt(1, "(") {
				p.next()
				open := p.next()
				r := &Row{node: at, Explicit: true}
				if !p.isOp(")") {
					for {
						r.Elems = append(r.Elems, p.parseExpr())
						if !p.acceptOp(",") {
							break
						}
					}
				}
				p.expectClose(open, "ROW(...)")
				return r
			}
		case "LEFT", "RIGHT":
			if p.opAt(1, "(") {
				return p.parseNameExpr()
			}
		}
		if !reserved[t.up] {
			return p.parseNameExpr()
		}
	}
	p.unexpected("an expression")
	return nil
}

// parseNameExpr parses a column reference a.b.c or a function call.
func (p *parser) parseNameExpr() Expr {
	first := p.next()
	id := &Ident{node: node{At: first.pos}, Name: first.text, Quoted: first.kind == tQuoted}
	parts := []*Ident{id}
	for p.isOp(".") && (p.peek(1).kind == tQuoted || p.peek(1).kind == tWord && !reserved[p.peek(1).up]) {
		p.next()
		parts = append(parts, p.parseIdent("a name after \".\""))
	}
	if p.isOp("(") {
		return p.parseCall(&QName{node: node{At: first.pos}, Parts: parts})
	}
	if len(parts) == 1 && first.kind == tWord && niladic[first.up] {
		return &FuncCall{node: node{At: first.pos}, Name: &QName{node: node{At: first.pos}, Parts: parts}, NoParens: true}
	}
	return &ColumnRef{node: node{At: first.pos}, Parts: parts}
}

// parseCall parses the argument list of name and what follows a call
// (FILTER, OVER); the current token is "(".
func (p *parser) parseCall(name *QName) Expr {
	open := p.next()
	at := node{At: name.At}
	fn := ""
	if last := name.Parts[len(name.Parts)-1]; len(name.Parts) == 1 && !last.Quoted {
		fn = strings.ToUpper(last.Name)
	}
	what := "the argument list of " + name.Parts[len(name.Parts)-1].Name
	call := &FuncCall{node: at, Name: name}
	switch fn {
	case "EXTRACT":
		unit := p.parseUnit("a time unit in EXTRACT")
		p.expectKw("FROM", "after the unit of EXTRACT")
		x := p.parseExpr()
		p.expectClose(open, what)
		return &Extract{node: at, Unit: unit, X: x}
	case "POSITION":
		sub := p.parseExprPrec(precAdd)
		if p.acceptKw("IN") {
			x := p.parseExpr()
			p.expectClose(open, what)
			return &Position{node: at, Sub: sub, X: x}
		}
		call.Args = []Expr{sub}
	case "TRIM":
		side := ""
		if p.isAnyKw("BOTH", "LEADING", "TRAILING") {
			side = p.next().up
		}
		var chars Expr
		if !p.isKw("FROM") {
			chars = p.parseExpr()
		}
		if p.acceptKw("FROM") {
			x := p.parseExpr()
			p.expectClose(open, what)
			return &Trim{node: at, Side: side, Chars: chars, X: x}
		}
		if side != "" || chars == nil {
			p.unexpected("FROM in TRIM", "FROM")
		}
		call.Args = []Expr{chars}
	case "SUBSTRING":
		x := p.parseExpr()
		if p.acceptKw("FROM") {
			s := &Substring{node: at, X: x, Start: p.parseExpr()}
			if p.acceptKw("FOR") {
				s.Len = p.parseExpr()
			}
			p.expectClose(open, what)
			return s
		}
		call.Args = []Expr{x}
	case "FLOOR", "CEIL", "CEILING":
		x := p.parseExpr()
		if p.acceptKw("TO") {
			unit := p.parseUnit("a time unit after TO in " + fn)
			p.expectClose(open, what)
			return &FloorCeil{node: at, Func: fn, X: x, Unit: unit}
		}
		call.Args = []Expr{x}
	case "OVERLAY":
		x := p.parseExpr()
		if p.acceptKw("PLACING") {
			o := &Overlay{node: at, X: x, With: p.parseExpr()}
			p.expectKw("FROM", "after OVERLAY ... PLACING ...")
			o.Start = p.parseExpr()
			if p.acceptKw("FOR") {
				o.Len = p.parseExpr()
			}
			p.expectClose(open, what)
			return o
		}
		call.Args = []Expr{x}
	case "JSON_EXISTS", "JSON_VALUE", "JSON_QUERY", "JSON_OBJECT", "JSON_OBJECTAGG", "JSON_ARRAY", "JSON_ARRAYAGG":
		return p.parseJSONCall(fn, open, at, what)
	case "TIMESTAMPADD", "TIMESTAMPDIFF":
		t := p.tok()
		u := p.parseUnit("a time unit as the first argument of " + fn)
		call.Args = []Expr{&TimeUnit{node: node{At: t.pos}, Unit: u}}
	}
	if call.Args != nil {
		if !p.isOp(")") {
			p.expectOp(",", "or \")\" in "+what)
			p.parseArgs(call)
		}
	} else if !p.isOp(")") {
		switch {
		case p.acceptKw("DISTINCT"):
			call.Distinct = true
		case p.acceptKw("ALL"):
			call.All = true
		}
		if p.isOp("*") && p.opAt(1, ")") {
			t := p.next()
			call.Args = []Expr{&Star{node: node{At: t.pos}}}
		} else if !p.isOp("*") && p.isStarItem() {
			// COUNT(A.*): a qualified * as the only argument (a
			// pattern variable in MATCH_RECOGNIZE, as Flink).
			call.Args = []Expr{p.parseStar()}
		} else {
			p.parseArgs(call)
		}
		switch {
		case p.acceptKws("RESPECT", "NULLS"):
			call.Nulls = "RESPECT"
		case p.acceptKws("IGNORE", "NULLS"):
			call.Nulls = "IGNORE"
		}
	}
	p.expectClose(open, what)
	if p.isKw("FILTER") && p.opAt(1, "(") {
		p.next()
		fo := p.next()
		p.expectKw("WHERE", "after FILTER (")
		call.Filter = p.parseExpr()
		p.expectClose(fo, "the FILTER clause")
	}
	if p.acceptKw("OVER") {
		if p.isOp("(") {
			call.Over = p.parseWindowSpec()
		} else {
			call.OverName = p.parseIdent("a window name or \"(\" after OVER")
		}
	}
	return call
}

func (p *parser) parseArgs(call *FuncCall) {
	for {
		call.Args = append(call.Args, p.parseArg())
		if !p.acceptOp(",") {
			return
		}
	}
}

// parseArg parses one argument: an expression, name => value, TABLE t
// [PARTITION BY ...] or DESCRIPTOR(cols).
func (p *parser) parseArg() Expr {
	t := p.tok()
	// "=>" makes any word a parameter name, reserved or not (OFFSET => ...)
	if (t.kind == tWord || t.kind == tQuoted) && p.opAt(1, "=>") {
		p.next()
		name := &Ident{node: node{At: t.pos}, Name: t.text, Quoted: t.kind == tQuoted}
		p.next()
		return &NamedArg{node: node{At: t.pos}, Name: name, Value: p.parseArgValue()}
	}
	return p.parseArgValue()
}

func (p *parser) parseArgValue() Expr {
	t := p.tok()
	switch {
	case p.isKw("TABLE"):
		p.next()
		ta := &TableArg{node: node{At: t.pos}}
		if p.isOp("(") {
			open := p.next()
			if !p.isAnyKw("SELECT", "WITH", "VALUES") {
				p.unexpected("a query after TABLE (", "SELECT", "WITH", "VALUES")
			}
			ta.Query = p.parseQuery()
			p.expectClose(open, "the query of TABLE (...)")
		} else {
			ta.Name = p.parseQName("a table name or (query) after TABLE")
		}
		// One key, or a parenthesised list of keys: a comma ends the
		// argument.
		if p.isKw("PARTITION") {
			p.next()
			p.expectKw("BY", "after PARTITION")
			e := p.parseExpr()
			if r, ok := e.(*Row); ok && !r.Explicit {
				ta.PartitionBy = r.Elems
			} else {
				ta.PartitionBy = []Expr{e}
			}
		}
		if p.isKw("ORDER") {
			p.next()
			p.expectKw("BY", "after ORDER")
			if p.isOp("(") && !p.startsQuery(1) {
				open := p.next()
				ta.OrderBy = p.parseOrderItems()
				p.expectClose(open, "the ORDER BY list")
			} else {
				e := p.parseExpr()
				it := &OrderItem{node: node{At: e.Pos()}, Expr: e}
				switch {
				case p.acceptKw("ASC"):
					it.Asc = true
				case p.acceptKw("DESC"):
					it.Desc = true
				}
				ta.OrderBy = []*OrderItem{it}
			}
		}
		return ta
	case p.isDescriptorArg():
		p.next()
		return &Descriptor{node: node{At: t.pos}, Columns: p.parseIdentList("DESCRIPTOR")}
	}
	return p.parseExpr()
}

// isDescriptorArg reports whether DESCRIPTOR(col, ...) is the whole of the
// argument that is next; otherwise a call named DESCRIPTOR is an ordinary
// expression.
func (p *parser) isDescriptorArg() bool {
	if !p.isKw("DESCRIPTOR") || !p.opAt(1, "(") {
		return false
	}
	for k := 2; ; k += 2 {
		t := p.peek(k)
		if !(t.kind == tQuoted || t.kind == tWord && !reserved[t.up]) {
			return false
		}
		switch {
		case p.opAt(k+1, ","):
		case p.opAt(k+1, ")"):
			return p.opAt(k+2, ",") || p.opAt(k+2, ")")
		default:
			return false
		}
	}
}

func (p *parser) parseExprList() []Expr {
	var es []Expr
	for {
		es = append(es, p.parseExpr())
		if !p.acceptOp(",") {
			return es
		}
	}
}

func (p *parser) parseCase() Expr {
	t := p.next()
	c := &Case{node: node{At: t.pos}}
	if !p.isKw("WHEN") {
		c.Operand = p.parseExpr()
	}
	for p.isKw("WHEN") {
		w := p.next()
		cond := p.parseExpr()
		p.expectKw("THEN", "after the WHEN condition")
		c.Whens = append(c.Whens, &When{node: node{At: w.pos}, Cond: cond, Result: p.parseExpr()})
	}
	if len(c.Whens) == 0 {
		p.unexpected("WHEN in CASE", "WHEN")
	}
	if p.acceptKw("ELSE") {
		c.Else = p.parseExpr()
	}
	if !p.isKw("END") {
		p.unexpected(fmt.Sprintf("WHEN, ELSE or END to close the CASE opened at line %d, column %d", t.pos.Line, t.pos.Col), "WHEN", "ELSE", "END")
	}
	p.next()
	return c
}

func (p *parser) parseCast(try bool) Expr {
	t := p.next()
	open := p.expectOp("(", "after "+t.up)
	x := p.parseExpr()
	p.expectKw("AS", "before the target type of "+t.up)
	typ := p.parseType()
	p.expectClose(open, t.up)
	return &Cast{node: node{At: t.pos}, Try: try, X: x, Type: typ}
}

func (p *parser) parseWindowSpec() *WindowSpec {
	open := p.next()
	ws := &WindowSpec{node: node{At: open.pos}}
	if p.isIdent() && !p.isAnyKw("ROWS", "RANGE") {
		ws.Base = p.parseIdent("a window name")
	}
	if p.isKw("PARTITION") {
		p.next()
		p.expectKw("BY", "after PARTITION")
		ws.PartitionBy = p.parseExprList()
	}
	if p.isKw("ORDER") {
		p.next()
		p.expectKw("BY", "after ORDER")
		ws.OrderBy = p.parseOrderItems()
	}
	if p.isAnyKw("ROWS", "RANGE") {
		t := p.next()
		f := &Frame{node: node{At: t.pos}, Unit: t.up}
		if p.acceptKw("BETWEEN") {
			f.Start = p.parseFrameBound()
			p.expectKw("AND", "between the frame bounds")
			f.End = p.parseFrameBound()
		} else {
			f.Start = p.parseFrameBound()
		}
		ws.Frame = f
	}
	p.expectClose(open, "the window specification")
	return ws
}

func (p *parser) parseFrameBound() *FrameBound {
	t := p.tok()
	b := &FrameBound{node: node{At: t.pos}}
	switch {
	case p.acceptKws("UNBOUNDED", "PRECEDING"):
		b.Kind = "UNBOUNDED PRECEDING"
	case p.acceptKws("UNBOUNDED", "FOLLOWING"):
		b.Kind = "UNBOUNDED FOLLOWING"
	case p.acceptKws("CURRENT", "ROW"):
		b.Kind = "CURRENT ROW"
	default:
		b.Offset = p.parseExprPrec(precAdd)
		if !p.isAnyKw("PRECEDING", "FOLLOWING") {
			p.unexpected("PRECEDING or FOLLOWING after the frame offset", "PRECEDING", "FOLLOWING")
		}
		b.Kind = p.next().up
	}
	return b
}

func (p *parser) parseOrderItems() []*OrderItem {
	var items []*OrderItem
	for {
		e := p.parseExpr()
		it := &OrderItem{node: node{At: e.Pos()}, Expr: e}
		switch {
		case p.acceptKw("ASC"):
			it.Asc = true
		case p.acceptKw("DESC"):
			it.Desc = true
		}
		if p.acceptKw("NULLS") {
			if !p.isAnyKw("FIRST", "LAST") {
				p.unexpected("FIRST or LAST after NULLS", "FIRST", "LAST")
			}
			it.NullsOrder = p.next().up
		}
		items = append(items, it)
		if !p.acceptOp(",") {
			return items
		}
	}
}

// parseJSONCall parses the arguments and clauses of a SQL/JSON function;
// the current token follows "(".
func (p *parser) parseJSONCall(fn string, open token, at node, what string) Expr {
	j := &JSONCall{node: at, Func: fn}
	onNull := func() bool {
		if p.isAnyKw("NULL", "ABSENT") && p.kwAt(1, "ON") && p.kwAt(2, "NULL") {
			j.OnNull = p.next().up
			p.next()
			p.next()
			return true
		}
		return false
	}
	switch fn {
	case "JSON_EXISTS", "JSON_VALUE", "JSON_QUERY":
		j.Args = []Expr{p.parseExpr()}
		p.expectOp(",", "between the JSON value and the path of "+fn)
		j.Args = append(j.Args, p.parseExpr())
		p.parseJSONClauses(j)
	case "JSON_OBJECT", "JSON_OBJECTAGG":
		for !p.isOp(")") && !onNull() {
			if p.isKw("KEY") && !p.kwAt(1, "VALUE") && !p.opAt(1, ",") && !p.opAt(1, ")") {
				p.next()
			}
			j.Keys = append(j.Keys, p.parseExpr())
			p.expectKw("VALUE", "after the key in "+fn)
			j.Values = append(j.Values, p.parseExpr())
			if !p.acceptOp(",") {
				onNull()
				break
			}
		}
	default: // JSON_ARRAY, JSON_ARRAYAGG
		for !p.isOp(")") && !onNull() {
			j.Args = append(j.Args, p.parseExpr())
			if !p.acceptOp(",") {
				onNull()
				break
			}
		}
	}
	p.expectClose(open, what)
	return j
}

// parseJSONClauses parses RETURNING, the wrapper and ON EMPTY / ON ERROR
// of JSON_EXISTS, JSON_VALUE and JSON_QUERY.
func (p *parser) parseJSONClauses(j *JSONCall) {
	for !p.isOp(")") {
		t := p.tok()
		switch {
		case p.isKw("RETURNING") && j.Func != "JSON_EXISTS":
			if j.Returning != nil {
				p.failAt(t.pos, "RETURNING given twice")
			}
			p.next()
			j.Returning = p.parseType()
		case j.Func == "JSON_QUERY" && (p.isKw("WITHOUT") || p.isKw("WITH")):
			if j.Wrapper != "" {
				p.failAt(t.pos, "the array wrapper is given twice")
			}
			w := p.next().up
			if w == "WITH" && p.isAnyKw("CONDITIONAL", "UNCONDITIONAL") {
				w += " " + p.next().up
			}
			p.acceptKw("ARRAY")
			p.expectKw("WRAPPER", "in "+w+" [ARRAY] WRAPPER")
			j.Wrapper = w + " ARRAY WRAPPER"
		default:
			b := &JSONBehavior{node: node{At: t.pos}}
			switch {
			case p.isAnyKw("NULL", "ERROR", "TRUE", "FALSE", "UNKNOWN"):
				b.Kind = p.next().up
			case p.isKw("EMPTY") && (p.kwAt(1, "ARRAY") || p.kwAt(1, "OBJECT")):
				p.next()
				b.Kind = "EMPTY " + p.next().up
			case p.isKw("DEFAULT"):
				p.next()
				b.Kind = "DEFAULT"
				b.Default = p.parseExpr()
			default:
				p.unexpected("RETURNING, NULL, ERROR, DEFAULT ... ON EMPTY|ERROR or \")\" in "+j.Func,
					"RETURNING", "NULL", "ERROR", "DEFAULT", "EMPTY")
			}
			p.expectKw("ON", "after "+b.Kind+" in "+j.Func)
			switch {
			case p.isKw("EMPTY") && j.OnEmpty == nil:
				p.next()
				j.OnEmpty = b
			case p.isKw("ERROR") && j.OnError == nil:
				p.next()
				j.OnError = b
			default:
				p.unexpected("EMPTY or ERROR (each once) after ON", "EMPTY", "ERROR")
			}
		}
	}
}
