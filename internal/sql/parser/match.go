package parser

import (
	"fmt"
	"strconv"
)

// parseMatchRecognize parses MATCH_RECOGNIZE ( ... ) applied to input.
func (p *parser) parseMatchRecognize(input TableExpr) *MatchRecognize {
	t := p.next()
	mr := &MatchRecognize{node: node{At: t.pos}, Input: input}
	open := p.expectOp("(", "after MATCH_RECOGNIZE")
	if p.isKw("PARTITION") {
		p.next()
		p.expectKw("BY", "after PARTITION")
		mr.PartitionBy = p.parseExprList()
	}
	if p.isKw("ORDER") {
		p.next()
		p.expectKw("BY", "after ORDER")
		mr.OrderBy = p.parseOrderItems()
	}
	if p.acceptKw("MEASURES") {
		for {
			m := &Measure{node: node{At: p.tok().pos}}
			if n := p.peek(1); p.isAnyKw("RUNNING", "FINAL") && (n.kind == tWord && n.up != "AS" || n.kind == tQuoted) {
				m.Semantics = p.next().up
			}
			m.Expr = p.parseExpr()
			p.expectKw("AS", "and a name after the measure")
			m.Alias = p.parseIdent("a measure name after AS")
			mr.Measures = append(mr.Measures, m)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	switch {
	case p.acceptKws("ONE", "ROW", "PER", "MATCH"):
		mr.RowsPerMatch = "ONE ROW PER MATCH"
	case p.acceptKws("ALL", "ROWS", "PER", "MATCH"):
		mr.RowsPerMatch = "ALL ROWS PER MATCH"
	}
	if p.isKw("AFTER") {
		a := p.next()
		p.expectKw("MATCH", "after AFTER")
		p.expectKw("SKIP", "after AFTER MATCH")
		am := &AfterMatch{node: node{At: a.pos}}
		switch {
		case p.acceptKws("PAST", "LAST", "ROW"):
			am.Kind = "PAST LAST ROW"
		case p.acceptKws("TO", "NEXT", "ROW"):
			am.Kind = "TO NEXT ROW"
		case p.acceptKws("TO", "FIRST"):
			am.Kind = "TO FIRST"
		case p.acceptKws("TO", "LAST"):
			am.Kind = "TO LAST"
		case p.acceptKw("TO"):
			am.Kind = "TO"
		default:
			p.unexpected("PAST LAST ROW, TO NEXT ROW, TO FIRST, TO LAST or TO after AFTER MATCH SKIP", "PAST", "TO")
		}
		if am.Kind != "PAST LAST ROW" && am.Kind != "TO NEXT ROW" {
			am.Var = p.parseIdent("a pattern variable after AFTER MATCH SKIP " + am.Kind)
		}
		mr.AfterMatch = am
	}
	p.expectKw("PATTERN", "in MATCH_RECOGNIZE")
	po := p.expectOp("(", "after PATTERN")
	mr.Pattern = p.parsePatternAlt()
	p.expectClose(po, "the PATTERN")
	if p.acceptKw("WITHIN") {
		mr.Within = p.parseExprPrec(precAdd)
	}
	if p.acceptKw("SUBSET") {
		for {
			s := &Subset{node: node{At: p.tok().pos}}
			s.Name = p.parseIdent("a subset name after SUBSET")
			p.expectOp("=", "after the subset name")
			s.Vars = p.parseIdentList("subset")
			mr.Subsets = append(mr.Subsets, s)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	p.expectKw("DEFINE", "after the PATTERN of MATCH_RECOGNIZE")
	for {
		d := &Define{node: node{At: p.tok().pos}}
		d.Var = p.parseIdent("a pattern variable in DEFINE")
		p.expectKw("AS", "after the pattern variable "+d.Var.Name)
		d.Cond = p.parseExpr()
		mr.Define = append(mr.Define, d)
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectClose(open, "MATCH_RECOGNIZE")
	return mr
}

func (p *parser) parsePatternAlt() Pattern {
	p.enter()
	defer p.leave()
	first := p.parsePatternSeq()
	if !p.isOp("|") {
		return first
	}
	alt := &PatternAlt{node: node{At: first.Pos()}, Alts: []Pattern{first}}
	for p.acceptOp("|") {
		alt.Alts = append(alt.Alts, p.parsePatternSeq())
	}
	return alt
}

func (p *parser) parsePatternSeq() Pattern {
	var items []Pattern
	for p.isIdent() || p.isOp("(") {
		items = append(items, p.parsePatternQuant())
	}
	if len(items) == 0 {
		p.unexpected("a pattern variable or \"(\" in PATTERN")
	}
	if len(items) == 1 {
		return items[0]
	}
	return &PatternSeq{node: node{At: items[0].Pos()}, Items: items}
}

func (p *parser) parsePatternQuant() Pattern {
	t := p.tok()
	var x Pattern
	if p.isOp("(") {
		open := p.next()
		g := &PatternGroup{node: node{At: t.pos}}
		if !p.isOp(")") {
			g.Inner = p.parsePatternAlt()
		}
		p.expectClose(open, "the pattern group")
		x = g
	} else {
		x = &PatternVar{node: node{At: t.pos}, Name: p.parseIdent("a pattern variable")}
	}
	q := &PatternQuant{node: node{At: t.pos}, X: x}
	switch {
	case p.acceptOp("*"):
		q.Min, q.Max, q.Form = 0, -1, "*"
	case p.acceptOp("+"):
		q.Min, q.Max, q.Form = 1, -1, "+"
	case p.acceptOp("?"):
		q.Min, q.Max, q.Form = 0, 1, "?"
	case p.isOp("{"):
		open := p.next()
		q.Min, q.Max = 0, -1
		hasMin := false
		if p.tok().kind == tNumber {
			q.Min = p.parseCount()
			hasMin = true
		}
		switch {
		case p.acceptOp(","):
			if p.tok().kind == tNumber {
				q.Max = p.parseCount()
				if hasMin {
					q.Form = fmt.Sprintf("{%d,%d}", q.Min, q.Max)
				} else {
					q.Form = fmt.Sprintf("{,%d}", q.Max)
				}
			} else {
				if !hasMin {
					p.unexpected("a count in the quantifier {,m}")
				}
				q.Form = fmt.Sprintf("{%d,}", q.Min)
			}
		case hasMin:
			q.Max = q.Min
			q.Form = fmt.Sprintf("{%d}", q.Min)
		default:
			p.unexpected("a count in the quantifier {n,m}")
		}
		p.expectClose(open, "the quantifier")
		if q.Max >= 0 && q.Max < q.Min {
			p.failAt(open.pos, fmt.Sprintf("quantifier %s has its maximum below its minimum", q.Form))
		}
	default:
		return x
	}
	q.Reluctant = p.acceptOp("?")
	return q
}

func (p *parser) parseCount() int {
	t := p.tok()
	n, err := strconv.Atoi(t.text)
	if err != nil || n < 0 || n > 1<<30 {
		p.failAt(t.pos, fmt.Sprintf("quantifier count %s is not a small non-negative integer", t.text))
	}
	p.next()
	return n
}
