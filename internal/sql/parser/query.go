package parser

import "fmt"

// parseQuery parses [WITH ...] body [ORDER BY ...] [LIMIT ...] [OFFSET ...]
// [FETCH ...].
func (p *parser) parseQuery() *Query {
	p.enter()
	defer p.leave()
	q := &Query{node: node{At: p.tok().pos}}
	if p.acceptKw("WITH") {
		for {
			c := &CTE{node: node{At: p.tok().pos}}
			c.Name = p.parseIdent("a name for the WITH query")
			if p.isOp("(") {
				c.Columns = p.parseIdentList("column list of " + c.Name.Name)
			}
			p.expectKw("AS", "after the name of the WITH query "+c.Name.Name)
			open := p.expectOp("(", "before the WITH query "+c.Name.Name)
			c.Query = p.parseQuery()
			p.expectClose(open, "the WITH query "+c.Name.Name)
			q.With = append(q.With, c)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	q.Body = p.parseSetExpr(1)
	if p.isKw("ORDER") {
		p.next()
		p.expectKw("BY", "after ORDER")
		q.OrderBy = p.parseOrderItems()
	}
	if p.acceptKw("LIMIT") {
		q.Limit = p.parseExprPrec(precAdd)
	}
	if p.acceptKw("OFFSET") {
		q.Offset = p.parseExprPrec(precAdd)
		if !p.acceptKw("ROWS") {
			p.acceptKw("ROW")
		}
	}
	if p.isKw("FETCH") {
		t := p.next()
		if q.Limit != nil {
			p.failAt(t.pos, "FETCH after LIMIT: a query has one or the other")
		}
		if !p.isAnyKw("FIRST", "NEXT") {
			p.unexpected("FIRST or NEXT after FETCH", "FIRST", "NEXT")
		}
		p.next()
		q.Limit = p.parseExprPrec(precAdd)
		if !p.isAnyKw("ROW", "ROWS") {
			p.unexpected("ROWS after FETCH FIRST n", "ROWS")
		}
		p.next()
		p.expectKw("ONLY", "after FETCH FIRST n ROWS")
	}
	return q
}

func setPrec(t *token) int {
	if t.kind != tWord {
		return 0
	}
	switch t.up {
	case "UNION", "EXCEPT", "MINUS":
		return 1
	case "INTERSECT":
		return 2
	}
	return 0
}

func (p *parser) parseSetExpr(minPrec int) QueryBody {
	left := p.parseSetTerm()
	for {
		prec := setPrec(p.tok())
		if prec == 0 || prec < minPrec {
			return left
		}
		t := p.next()
		op := &SetOp{node: node{At: left.Pos()}, Op: t.up, Left: left}
		if op.Op == "MINUS" {
			op.Op = "EXCEPT"
		}
		switch {
		case p.acceptKw("ALL"):
			op.All = true
		case p.acceptKw("DISTINCT"):
			op.Distinct = true
		}
		p.enter()
		op.Right = p.parseSetExpr(prec + 1)
		p.leave()
		left = op
	}
}

func (p *parser) parseSetTerm() QueryBody {
	switch {
	case p.isKw("SELECT"):
		return p.parseSelect()
	case p.isKw("VALUES"):
		t := p.next()
		v := &Values{node: node{At: t.pos}}
		for {
			open := p.expectOp("(", "before a row of VALUES")
			var row []Expr
			for {
				row = append(row, p.parseExpr())
				if !p.acceptOp(",") {
					break
				}
			}
			p.expectClose(open, "the row of VALUES")
			v.Rows = append(v.Rows, row)
			if !p.acceptOp(",") {
				return v
			}
		}
	case p.isOp("("):
		open := p.next()
		q := p.parseQuery()
		p.expectClose(open, "the parenthesised query")
		if q.With == nil && q.OrderBy == nil && q.Limit == nil && q.Offset == nil {
			return q.Body
		}
		return q
	}
	p.unexpected("SELECT, VALUES or a parenthesised query", "SELECT", "VALUES")
	return nil
}

// isStarItem reports whether a select item * or a.b.* is next.
func (p *parser) isStarItem() bool {
	k := 0
	for {
		if p.opAt(k, "*") {
			return true
		}
		t := p.peek(k)
		if !(t.kind == tQuoted || t.kind == tWord && !reserved[t.up]) || !p.opAt(k+1, ".") {
			return false
		}
		k += 2
	}
}

func (p *parser) parseStar() *Star {
	s := &Star{node: node{At: p.tok().pos}}
	for !p.isOp("*") {
		s.Qualifier = append(s.Qualifier, p.parseIdent("a name"))
		p.expectOp(".", "")
	}
	p.next()
	return s
}

func (p *parser) parseSelect() *Select {
	t := p.next()
	s := &Select{node: node{At: t.pos}}
	s.Hints = p.parseHints()
	if p.acceptKw("DISTINCT") {
		s.Distinct = true
	} else {
		p.acceptKw("ALL")
	}
	for {
		it := &SelectItem{node: node{At: p.tok().pos}}
		if p.isStarItem() {
			it.Expr = p.parseStar()
		} else {
			it.Expr = p.parseExpr()
			if p.acceptKw("AS") {
				it.Alias = p.parseIdent("an alias after AS")
			} else if p.isIdent() {
				p.alias = p.i
				it.Alias = p.parseIdent("an alias")
			}
		}
		s.Items = append(s.Items, it)
		if !p.acceptOp(",") {
			break
		}
	}
	if p.acceptKw("FROM") {
		s.From = p.parseFrom()
	}
	if p.acceptKw("WHERE") {
		s.Where = p.parseExpr()
	}
	if p.isKw("GROUP") {
		p.next()
		p.expectKw("BY", "after GROUP")
		for {
			s.GroupBy = append(s.GroupBy, p.parseGroupItem())
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.acceptKw("HAVING") {
		s.Having = p.parseExpr()
	}
	if p.acceptKw("WINDOW") {
		for {
			w := &NamedWindow{node: node{At: p.tok().pos}}
			w.Name = p.parseIdent("a window name after WINDOW")
			p.expectKw("AS", "after the window name")
			if !p.isOp("(") {
				p.unexpected("\"(\" before the window specification")
			}
			w.Spec = p.parseWindowSpec()
			s.Windows = append(s.Windows, w)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	return s
}

func (p *parser) parseGroupItem() Expr {
	p.enter()
	defer p.leave()
	t := p.tok()
	kind := ""
	switch {
	case p.isKw("GROUPING") && p.kwAt(1, "SETS") && p.opAt(2, "("):
		p.next()
		p.next()
		kind = "GROUPING SETS"
	case p.isAnyKw("ROLLUP", "CUBE") && p.opAt(1, "("):
		kind = p.next().up
	case p.isOp("(") && p.opAt(1, ")"):
		p.next()
		p.next()
		return &Row{node: node{At: t.pos}}
	default:
		return p.parseExpr()
	}
	open := p.next()
	g := &GroupingSet{node: node{At: t.pos}, Kind: kind}
	for {
		g.Items = append(g.Items, p.parseGroupItem())
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectClose(open, kind)
	return g
}

// ---------------------------------------------------------------- FROM

func (p *parser) parseFrom() TableExpr {
	left := p.parseTableRef()
	for p.isOp(",") {
		t := p.next()
		p.enter()
		right := p.parseTableRef()
		p.leave()
		left = &Join{node: node{At: t.pos}, Kind: ",", Left: left, Right: right}
	}
	return left
}

func (p *parser) parseTableRef() TableExpr {
	left := p.parseTablePrimary()
	for {
		t := p.tok()
		j := &Join{node: node{At: t.pos}, Left: left}
		j.Natural = p.acceptKw("NATURAL")
		switch {
		case p.acceptKw("CROSS"):
			j.Kind = "CROSS"
		case p.acceptKw("INNER"):
			j.Kind, j.Inner = "INNER", true
		case p.isAnyKw("LEFT", "RIGHT", "FULL"):
			j.Kind = p.next().up
			j.Outer = p.acceptKw("OUTER")
		case p.isKw("JOIN"):
			j.Kind = "INNER"
		default:
			if j.Natural {
				p.unexpected("JOIN after NATURAL", "JOIN")
			}
			return left
		}
		p.expectKw("JOIN", "after "+j.Kind)
		p.enter()
		j.Right = p.parseTablePrimary()
		p.leave()
		if j.Kind != "CROSS" && !j.Natural {
			switch {
			case p.acceptKw("ON"):
				j.On = p.parseExpr()
			case p.acceptKw("USING"):
				j.Using = p.parseIdentList("USING list")
			default:
				p.unexpected("ON or USING after the joined table", "ON", "USING")
			}
		}
		left = j
	}
}

func (p *parser) parseTablePrimary() TableExpr {
	p.enter()
	defer p.leave()
	t := p.tok()
	at := node{At: t.pos}
	var te TableExpr
	lateral := p.acceptKw("LATERAL")
	switch {
	case p.isKw("TABLE"):
		p.next()
		open := p.expectOp("(", "after TABLE")
		name := p.parseQName("a table function call in TABLE(...)")
		if !p.isOp("(") {
			p.unexpected(fmt.Sprintf("\"(\" after the table function %s", formatQName(name)))
		}
		call, ok := p.parseCall(name).(*FuncCall)
		if !ok || call.Over != nil || call.Filter != nil {
			p.failAt(name.At, "TABLE(...) needs a plain table function call")
		}
		p.expectClose(open, "TABLE(...)")
		te = &TableFunc{node: at, Lateral: lateral, Call: call}
	case p.isKw("UNNEST") && !lateral:
		p.next()
		open := p.expectOp("(", "after UNNEST")
		u := &Unnest{node: at, Args: p.parseExprList()}
		p.expectClose(open, "UNNEST")
		if p.isKw("WITH") && p.kwAt(1, "ORDINALITY") {
			p.next()
			p.next()
			u.WithOrdinality = true
		}
		te = u
	case p.isOp("("):
		if p.startsQuery(1) {
			open := p.next()
			q := p.parseQuery()
			p.expectClose(open, "the subquery")
			te = &DerivedTable{node: at, Lateral: lateral, Query: q}
		} else if !lateral {
			open := p.next()
			inner := p.parseFrom()
			p.expectClose(open, "the parenthesised join")
			return &ParenTable{node: at, Table: inner}
		}
	case p.isIdent() && !lateral:
		tn := &TableName{node: at, Name: p.parseQName("a table name")}
		tn.Hints = p.parseHints()
		if p.isKw("FOR") {
			p.next()
			p.expectKw("SYSTEM_TIME", "after FOR")
			p.expectKw("AS", "after FOR SYSTEM_TIME")
			p.expectKw("OF", "after FOR SYSTEM_TIME AS")
			tn.SystemTime = p.parseExprPrec(precAdd)
		}
		te = tn
	}
	if te == nil {
		if lateral {
			p.unexpected("TABLE(...) or a subquery after LATERAL", "TABLE")
		}
		p.unexpected("a table name, subquery, TABLE(...), LATERAL or UNNEST", "TABLE", "LATERAL", "UNNEST")
	}
	alias := p.parseAlias()
	if p.isKw("MATCH_RECOGNIZE") {
		if alias != nil {
			setAlias(te, alias)
		}
		mr := p.parseMatchRecognize(te)
		mr.Alias = p.parseAlias()
		return mr
	}
	setAlias(te, alias)
	return te
}

func setAlias(te TableExpr, a *Alias) {
	switch t := te.(type) {
	case *TableName:
		t.Alias = a
	case *DerivedTable:
		t.Alias = a
	case *TableFunc:
		t.Alias = a
	case *Unnest:
		t.Alias = a
	}
}

func (p *parser) parseAlias() *Alias {
	t := p.tok()
	if p.acceptKw("AS") {
		a := &Alias{node: node{At: t.pos}, Name: p.parseIdent("an alias after AS")}
		if p.isOp("(") {
			a.Columns = p.parseIdentList("column aliases")
		}
		return a
	}
	if p.isIdent() {
		p.alias = p.i
		a := &Alias{node: node{At: t.pos}, Name: p.parseIdent("an alias")}
		if p.isOp("(") {
			a.Columns = p.parseIdentList("column aliases")
		}
		return a
	}
	return nil
}

// parseHints parses an optional /*+ hint, ... */ comment.
func (p *parser) parseHints() []*Hint {
	if !p.isOp("/*+") {
		return nil
	}
	open := p.next()
	var hints []*Hint
	for {
		h := &Hint{node: node{At: p.tok().pos}}
		h.Name = p.parseIdent("a hint name (OPTIONS, STATE_TTL, LOOKUP, BROADCAST ...)")
		if p.isOp("(") {
			po := p.next()
			if p.tok().kind == tString {
				h.Options = p.parseOptionList()
			} else {
				for {
					h.Args = append(h.Args, p.parseIdent("a 'key' = 'value' option or a name in the hint "+h.Name.Name))
					if !p.acceptOp(",") {
						break
					}
				}
			}
			p.expectClose(po, "the hint "+h.Name.Name)
		}
		hints = append(hints, h)
		if !p.acceptOp(",") {
			break
		}
	}
	if !p.isOp("*/") {
		p.unexpected(fmt.Sprintf("\"*/\" to close the hint opened at line %d, column %d", open.pos.Line, open.pos.Col))
	}
	p.next()
	return hints
}
