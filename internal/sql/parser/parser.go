package parser

import (
	"fmt"
	"strings"
)

// MaxDepth bounds the nesting of expressions, queries, types and patterns;
// deeper input is a syntax error rather than a stack overflow.
const MaxDepth = 1000

// Parse parses exactly one statement (an optional trailing ";" is allowed).
func Parse(src string) (stmt Stmt, err error) {
	p := newParser(src)
	defer p.recover(&err)
	stmt = p.parseStatement()
	p.acceptOp(";")
	p.expectEOF("after the statement")
	return stmt, nil
}

// ParseScript parses statements separated by ";".
func ParseScript(src string) (script *Script, err error) {
	p := newParser(src)
	defer p.recover(&err)
	script = &Script{node: node{At: p.tok().pos}}
	for {
		for p.acceptOp(";") {
		}
		if p.tok().kind == tEOF {
			return script, nil
		}
		script.Stmts = append(script.Stmts, p.parseStatement())
		if p.tok().kind == tEOF {
			return script, nil
		}
		if !p.isOp(";") {
			p.unexpected("\";\" or the end of the input after the statement", clauseKeywords...)
		}
	}
}

// ParseQuery parses one query (SELECT, WITH, VALUES or a set operation).
func ParseQuery(src string) (q *Query, err error) {
	p := newParser(src)
	defer p.recover(&err)
	q = p.parseQuery()
	p.acceptOp(";")
	p.expectEOF("after the query")
	return q, nil
}

// ParseExpr parses one scalar expression.
func ParseExpr(src string) (e Expr, err error) {
	p := newParser(src)
	defer p.recover(&err)
	e = p.parseExpr()
	p.expectEOF("after the expression")
	return e, nil
}

// ParseType parses one data type.
func ParseType(src string) (t *DataType, err error) {
	p := newParser(src)
	defer p.recover(&err)
	t = p.parseType()
	p.expectEOF("after the type")
	return t, nil
}

type parser struct {
	src    string
	toks   []token
	i      int
	depth  int
	params int
	alias  int // index of the last token read as an alias without AS, or -1
}

type bailout struct{ err *Error }

func newParser(src string) *parser {
	return &parser{src: src, toks: lex(src), alias: -1}
}

func (p *parser) recover(err *error) {
	if r := recover(); r != nil {
		b, ok := r.(bailout)
		if !ok {
			panic(r)
		}
		*err = b.err
	}
}

func (p *parser) tok() *token { return &p.toks[p.i] }

func (p *parser) peek(k int) *token {
	j := p.i + k
	if j >= len(p.toks) {
		j = len(p.toks) - 1
	}
	return &p.toks[j]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) enter() {
	p.depth++
	if p.depth > MaxDepth {
		p.failAt(p.tok().pos, fmt.Sprintf("the statement is nested too deeply (more than %d levels)", MaxDepth))
	}
}

func (p *parser) leave() { p.depth-- }

// kwAt reports whether the token k ahead is the keyword kw.
func (p *parser) kwAt(k int, kw string) bool {
	t := p.peek(k)
	return t.kind == tWord && t.up == kw
}

func (p *parser) isKw(kw string) bool { return p.kwAt(0, kw) }

func (p *parser) isAnyKw(kws ...string) bool {
	t := p.tok()
	if t.kind != tWord {
		return false
	}
	for _, kw := range kws {
		if t.up == kw {
			return true
		}
	}
	return false
}

func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.next()
		return true
	}
	return false
}

// acceptKws accepts the keyword sequence kws if all of it is next.
func (p *parser) acceptKws(kws ...string) bool {
	for k, kw := range kws {
		if !p.kwAt(k, kw) {
			return false
		}
	}
	for range kws {
		p.next()
	}
	return true
}

func (p *parser) expectKw(kw, context string) token {
	if !p.isKw(kw) {
		p.unexpected(fmt.Sprintf("%s %s", kw, context), kw)
	}
	return p.next()
}

func (p *parser) opAt(k int, op string) bool {
	t := p.peek(k)
	return t.kind == tOp && t.text == op
}

func (p *parser) isOp(op string) bool { return p.opAt(0, op) }

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectOp(op, context string) token {
	if !p.isOp(op) {
		p.unexpected(fmt.Sprintf("%q %s", op, context))
	}
	return p.next()
}

// expectClose expects the closing bracket of open, which began what.
func (p *parser) expectClose(open token, what string) token {
	closer := map[string]string{"(": ")", "[": "]", "{": "}", "<": ">"}[open.text]
	if !p.isOp(closer) {
		p.unexpected(fmt.Sprintf("%q to close %s opened at line %d, column %d", closer, what, open.pos.Line, open.pos.Col))
	}
	return p.next()
}

func (p *parser) expectEOF(context string) {
	if p.tok().kind != tEOF {
		p.unexpected("the end of the input "+context, clauseKeywords...)
	}
}

// describe names a token for an error message.
func describe(t *token) string {
	switch t.kind {
	case tEOF:
		return "the end of the input"
	case tString:
		return "string " + quoteText("'"+t.text+"'")
	case tNumber:
		return "number " + t.text
	case tQuoted:
		return "identifier " + quoteText(t.raw)
	}
	return quoteText(t.raw)
}

func (p *parser) failAt(pos Pos, msg string) {
	panic(bailout{&Error{Line: pos.Line, Col: pos.Col, Offset: pos.Offset, Msg: msg}})
}

// unexpected fails at the current token: "expected <expected>, found <tok>".
// A lexical error at the current token is reported instead. When the token
// is a word near one of kws, the message suggests it.
func (p *parser) unexpected(expected string, kws ...string) {
	t := p.tok()
	if t.kind == tIllegal {
		p.failAt(t.pos, t.msg)
	}
	msg := fmt.Sprintf("expected %s, found %s", expected, describe(t))
	if t.kind == tOp && t.text == "/*+" {
		msg += " (a hint goes right after SELECT, after a table name in FROM or after the table of INSERT)"
	}
	if t.kind == tWord {
		if s := suggest(t.up, kws); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		} else if reserved[t.up] && p.usedAsName() {
			msg += fmt.Sprintf(" (%s is a reserved word: write `%s` to use it as a name)", t.up, t.text)
		}
	}
	if p.alias >= 0 && p.alias == p.i-1 {
		a := &p.toks[p.alias]
		if s := suggest(a.up, clauseKeywords); s != "" {
			msg += fmt.Sprintf(" (%s at line %d, column %d was read as an alias: did you mean %s?)", quoteText(a.raw), a.pos.Line, a.pos.Col, s)
		}
	}
	p.failAt(t.pos, msg)
}

// usedAsName reports whether the (reserved) word at the current token
// looks like it was meant as a name: an operator or the end follows it.
func (p *parser) usedAsName() bool {
	n := p.peek(1)
	if n.kind == tEOF {
		return true
	}
	if n.kind != tOp {
		return false
	}
	switch n.text {
	case "=", "<>", "!=", "<", ">", "<=", ">=", ",", ")", ".", ";", "+", "-", "*", "/", "||":
		return true
	}
	return false
}

// ---------------------------------------------------------------- names

func (p *parser) isIdent() bool {
	t := p.tok()
	return t.kind == tQuoted || t.kind == tWord && !reserved[t.up]
}

func (p *parser) parseIdent(what string) *Ident {
	if !p.isIdent() {
		p.unexpected(what)
	}
	t := p.next()
	return &Ident{node: node{At: t.pos}, Name: t.text, Quoted: t.kind == tQuoted}
}

func (p *parser) parseQName(what string) *QName {
	id := p.parseIdent(what)
	q := &QName{node: node{At: id.At}, Parts: []*Ident{id}}
	for p.isOp(".") {
		p.next()
		q.Parts = append(q.Parts, p.parseIdent("a name after \".\""))
	}
	return q
}

func (p *parser) parseIdentList(what string) []*Ident {
	open := p.expectOp("(", "before the "+what)
	var ids []*Ident
	for {
		ids = append(ids, p.parseIdent("a column name in the "+what))
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectClose(open, "the "+what)
	return ids
}

func (p *parser) parseString(what string) (string, Pos) {
	t := p.tok()
	if t.kind != tString {
		p.unexpected(what)
	}
	p.next()
	return t.text, t.pos
}

// ---------------------------------------------------------------- statements

func (p *parser) parseStatement() Stmt {
	p.enter() // EXPLAIN EXPLAIN ... nests
	defer p.leave()
	t := p.tok()
	if t.kind != tWord {
		if p.isOp("(") {
			return &QueryStmt{node: node{At: t.pos}, Query: p.parseQuery()}
		}
		p.unexpected("a statement")
	}
	switch t.up {
	case "SELECT", "WITH", "VALUES":
		return &QueryStmt{node: node{At: t.pos}, Query: p.parseQuery()}
	case "CREATE":
		return p.parseCreate()
	case "DROP":
		return p.parseDrop()
	case "SHOW":
		return p.parseShow()
	case "DESCRIBE", "DESC":
		p.next()
		d := &Describe{node: node{At: t.pos}}
		// DESCRIBE EXTENDED t (Flink's rich describe); a table named
		// extended is still DESCRIBE extended.
		if p.isKw("EXTENDED") && (p.peek(1).kind == tWord || p.peek(1).kind == tQuoted) {
			p.next()
			d.Extended = true
		}
		d.Name = p.parseQName("a table name after " + t.up)
		return d
	case "EXPLAIN":
		return p.parseExplain()
	case "USE":
		p.next()
		u := &Use{node: node{At: t.pos}}
		if p.isKw("CATALOG") && (p.peek(1).kind == tWord || p.peek(1).kind == tQuoted) {
			p.next()
			u.Catalog = true
		}
		u.Name = p.parseQName("a catalog or database name after USE")
		return u
	case "SET":
		p.next()
		s := &Set{node: node{At: t.pos}}
		if p.tok().kind == tString {
			k, _ := p.parseString("a property key")
			p.expectOp("=", "after the property key of SET")
			v, _ := p.parseString("a property value as a 'string' after \"=\"")
			s.Key, s.Value = &k, &v
		} else if p.tok().kind != tEOF && !p.isOp(";") {
			p.unexpected("a property 'key' = 'value' after SET")
		}
		return s
	case "RESET":
		p.next()
		r := &Reset{node: node{At: t.pos}}
		if p.tok().kind == tString {
			k, _ := p.parseString("a property key")
			r.Key = &k
		}
		return r
	case "INSERT":
		return p.parseInsert()
	case "EXECUTE":
		p.next()
		p.expectKw("STATEMENT", "after EXECUTE")
		p.expectKw("SET", "after EXECUTE STATEMENT")
		p.expectKw("BEGIN", "after EXECUTE STATEMENT SET")
		return p.parseStatementSetBody(t.pos, true)
	case "BEGIN":
		p.next()
		p.expectKw("STATEMENT", "after BEGIN")
		p.expectKw("SET", "after BEGIN STATEMENT")
		p.expectOp(";", "after BEGIN STATEMENT SET")
		return p.parseStatementSetBody(t.pos, false)
	}
	msg := "a statement (SELECT, INSERT, CREATE, ...)"
	p.unexpected(msg, statementKeywords...)
	return nil
}

func (p *parser) parseStatementSetBody(at Pos, execute bool) *StatementSet {
	ss := &StatementSet{node: node{At: at}, Execute: execute}
	for {
		for p.acceptOp(";") {
		}
		if p.acceptKw("END") {
			return ss
		}
		if !p.isKw("INSERT") {
			p.unexpected("INSERT or END in the statement set that begins at line "+fmt.Sprint(at.Line)+", column "+fmt.Sprint(at.Col), "INSERT", "END")
		}
		ss.Inserts = append(ss.Inserts, p.parseInsert())
		if !p.isOp(";") && !p.isKw("END") {
			p.unexpected("\";\" after the INSERT of the statement set", clauseKeywords...)
		}
	}
}

func (p *parser) parseInsert() *Insert {
	t := p.next() // INSERT
	ins := &Insert{node: node{At: t.pos}}
	switch {
	case p.acceptKw("INTO"):
	case p.acceptKw("OVERWRITE"):
		ins.Overwrite = true
	default:
		p.unexpected("INTO or OVERWRITE after INSERT", "INTO", "OVERWRITE")
	}
	ins.Table = p.parseQName("a table name after INSERT INTO")
	ins.Hints = p.parseHints()
	if p.isKw("PARTITION") {
		p.next()
		open := p.expectOp("(", "after PARTITION")
		for {
			col := p.parseIdent("a partition column")
			p.expectOp("=", "after the partition column")
			ins.Partition = append(ins.Partition, &PartitionValue{node: node{At: col.At}, Column: col, Value: p.parseExpr()})
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectClose(open, "the PARTITION list")
	}
	if p.isOp("(") && !p.startsQuery(1) {
		ins.Columns = p.parseIdentList("column list of INSERT")
	}
	if !p.isAnyKw("SELECT", "WITH", "VALUES") && !p.isOp("(") {
		p.unexpected("a query (SELECT, WITH or VALUES) after INSERT INTO "+formatQName(ins.Table), "SELECT", "VALUES", "WITH")
	}
	ins.Query = p.parseQuery()
	return ins
}

// startsQuery reports whether the tokens k ahead start a query, looking
// through opening parentheses.
func (p *parser) startsQuery(k int) bool {
	for p.opAt(k, "(") {
		k++
	}
	return p.kwAt(k, "SELECT") || p.kwAt(k, "WITH") || p.kwAt(k, "VALUES")
}

func (p *parser) parseExplain() *Explain {
	t := p.next()
	e := &Explain{node: node{At: t.pos}}
	if p.acceptKws("PLAN", "FOR") {
		e.PlanFor = true
	} else {
		for p.tok().kind == tWord && !p.isAnyKw(statementKeywords...) {
			e.Details = append(e.Details, p.next().up)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	e.Stmt = p.parseStatement()
	return e
}

func (p *parser) parseShow() *Show {
	t := p.next()
	s := &Show{node: node{At: t.pos}}
	if p.acceptKw("CREATE") {
		w := p.tok()
		if !p.isAnyKw("TABLE", "VIEW") {
			p.unexpected("TABLE or VIEW after SHOW CREATE", "TABLE", "VIEW")
		}
		p.next()
		s.What = "CREATE " + w.up
		s.Name = p.parseQName("a name after SHOW CREATE " + w.up)
		return s
	}
	kinds := []string{"TABLES", "VIEWS", "FUNCTIONS", "DATABASES", "CATALOGS", "MODULES", "JOBS", "CURRENT"}
	if !p.isAnyKw(kinds...) {
		p.unexpected("TABLES, VIEWS, FUNCTIONS, DATABASES, CATALOGS, MODULES, JOBS or CREATE after SHOW", kinds...)
	}
	s.What = p.next().up
	if s.What == "CURRENT" {
		if !p.isAnyKw("CATALOG", "DATABASE") {
			p.unexpected("CATALOG or DATABASE after SHOW CURRENT", "CATALOG", "DATABASE")
		}
		s.What += " " + p.next().up
	}
	return s
}

func (p *parser) parseDrop() *Drop {
	t := p.next()
	d := &Drop{node: node{At: t.pos}}
	d.Temporary = p.acceptKw("TEMPORARY")
	if !p.isAnyKw("TABLE", "VIEW", "FUNCTION") {
		p.unexpected("TABLE, VIEW or FUNCTION after DROP", "TABLE", "VIEW", "FUNCTION", "TEMPORARY")
	}
	d.Object = p.next().up
	if p.isKw("IF") {
		p.next()
		p.expectKw("EXISTS", "after DROP "+d.Object+" IF")
		d.IfExists = true
	}
	d.Name = p.parseQName("a name after DROP " + d.Object)
	return d
}

func (p *parser) parseCreate() Stmt {
	t := p.next()
	orReplace := p.acceptKws("OR", "REPLACE")
	temporary := p.acceptKw("TEMPORARY")
	system := temporary && p.acceptKw("SYSTEM")
	if orReplace && (system || !p.isKw("TABLE")) {
		p.unexpected("TABLE after CREATE OR REPLACE [TEMPORARY] (only CREATE OR REPLACE TABLE ... AS query exists)", "TABLE")
	}
	switch {
	case p.isKw("TABLE") && !system:
		p.next()
		ct := p.parseCreateTable(t.pos, temporary)
		if orReplace {
			if ct.AsQuery == nil {
				p.failAt(t.pos, "CREATE OR REPLACE TABLE needs AS query")
			}
			ct.OrReplace = true
		}
		return ct
	case p.isKw("VIEW") && !system:
		p.next()
		v := &CreateView{node: node{At: t.pos}, Temporary: temporary}
		v.IfNotExists = p.parseIfNotExists("VIEW")
		v.Name = p.parseQName("a view name after CREATE VIEW")
		if p.isOp("(") {
			v.Columns = p.parseIdentList("column list of the view")
		}
		p.expectKw("AS", "before the query of the view")
		v.Query = p.parseQuery()
		return v
	case p.isKw("FUNCTION"):
		p.next()
		f := &CreateFunction{node: node{At: t.pos}, Temporary: temporary, System: system}
		f.IfNotExists = p.parseIfNotExists("FUNCTION")
		f.Name = p.parseQName("a function name after CREATE FUNCTION")
		p.expectKw("AS", "before the class name of the function")
		f.Class, _ = p.parseString("the function's class name as a 'string'")
		if p.acceptKw("LANGUAGE") {
			if !p.isAnyKw("JAVA", "SCALA", "PYTHON", "SQL") {
				p.unexpected("JAVA, SCALA or PYTHON after LANGUAGE", "JAVA", "SCALA", "PYTHON")
			}
			f.Language = p.next().up
		}
		return f
	}
	p.unexpected("TABLE, VIEW or FUNCTION after CREATE", "TABLE", "VIEW", "FUNCTION", "TEMPORARY")
	return nil
}

func (p *parser) parseIfNotExists(obj string) bool {
	if !p.isKw("IF") {
		return false
	}
	p.next()
	p.expectKw("NOT", "after CREATE "+obj+" IF")
	p.expectKw("EXISTS", "after CREATE "+obj+" IF NOT")
	return true
}

func (p *parser) parseCreateTable(at Pos, temporary bool) *CreateTable {
	ct := &CreateTable{node: node{At: at}, Temporary: temporary}
	ct.IfNotExists = p.parseIfNotExists("TABLE")
	ct.Name = p.parseQName("a table name after CREATE TABLE")
	hasList := p.isOp("(")
	if hasList {
		open := p.next()
		for {
			p.parseTableElement(ct)
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectClose(open, "the column list of "+formatQName(ct.Name))
	}
	if p.acceptKw("COMMENT") {
		c, _ := p.parseString("the table comment as a 'string'")
		ct.Comment = &c
	}
	if p.isKw("PARTITIONED") {
		p.next()
		p.expectKw("BY", "after PARTITIONED")
		ct.PartitionBy = p.parseIdentList("PARTITIONED BY list")
	}
	if p.acceptKw("WITH") {
		ct.Options = p.parseOptions()
	}
	if p.isKw("LIKE") {
		ct.Like = p.parseTableLike()
		if p.isKw("WITH") {
			p.failAt(p.tok().pos, fmt.Sprintf("WITH (...) goes before LIKE: write CREATE TABLE %s (...) WITH (...) LIKE %s", formatQName(ct.Name), formatQName(ct.Like.Source)))
		}
		if p.isKw("AS") {
			p.failAt(p.tok().pos, fmt.Sprintf("CREATE TABLE %s takes LIKE or AS query, not both: a table copied with LIKE is filled by INSERT INTO", formatQName(ct.Name)))
		}
	}
	if p.acceptKw("AS") {
		ct.AsQuery = p.parseQuery()
		if p.isKw("LIKE") {
			p.failAt(p.tok().pos, fmt.Sprintf("CREATE TABLE %s takes LIKE or AS query, not both: a table copied with LIKE is filled by INSERT INTO", formatQName(ct.Name)))
		}
	}
	if !hasList && ct.AsQuery == nil && ct.Like == nil {
		p.failAt(ct.Name.At, fmt.Sprintf("CREATE TABLE %s has neither a column list nor LIKE nor AS query", formatQName(ct.Name)))
	}
	return ct
}

// likeStrategies and likeFeatures are the words of Flink's LIKE options.
var (
	likeStrategies = []string{"INCLUDING", "EXCLUDING", "OVERWRITING"}
	likeFeatures   = []string{"ALL", "CONSTRAINTS", "PARTITIONS", "GENERATED", "OPTIONS", "WATERMARKS", "METADATA"}
)

// parseTableLike parses LIKE source [(option ...)] as Flink does: the
// options are separated by blanks, at least one in the parentheses, each
// feature at most once, and ALL, CONSTRAINTS and PARTITIONS cannot be
// OVERWRITING.
func (p *parser) parseTableLike() *TableLike {
	t := p.next() // LIKE
	l := &TableLike{node: node{At: t.pos}}
	l.Source = p.parseQName("the name of the table to copy after LIKE")
	if !p.isOp("(") {
		return l
	}
	open := p.next()
	seen := map[string]*LikeOption{}
	for {
		if !p.isAnyKw(likeStrategies...) {
			if len(l.Options) > 0 && p.isOp(")") {
				break
			}
			if len(l.Options) > 0 && p.isOp(",") {
				p.failAt(p.tok().pos, "LIKE options are separated by blanks, not commas: write e.g. LIKE t (EXCLUDING ALL INCLUDING GENERATED)")
			}
			what := "INCLUDING, EXCLUDING or OVERWRITING in the LIKE options"
			if len(l.Options) > 0 {
				what = fmt.Sprintf("INCLUDING, EXCLUDING, OVERWRITING or \")\" to close the LIKE options opened at line %d, column %d", open.pos.Line, open.pos.Col)
			}
			p.unexpected(what, likeStrategies...)
		}
		st := p.next()
		if !p.isAnyKw(likeFeatures...) {
			p.unexpected(fmt.Sprintf("ALL, CONSTRAINTS, PARTITIONS, GENERATED, OPTIONS, WATERMARKS or METADATA after %s", st.up), likeFeatures...)
		}
		ft := p.next()
		o := &LikeOption{node: node{At: st.pos}, Strategy: st.up, Feature: ft.up}
		if o.Strategy == "OVERWRITING" && (o.Feature == "ALL" || o.Feature == "CONSTRAINTS" || o.Feature == "PARTITIONS") {
			p.failAt(st.pos, fmt.Sprintf("OVERWRITING %s is not a LIKE option: %s is INCLUDING or EXCLUDING (only GENERATED, OPTIONS, WATERMARKS and METADATA can be OVERWRITING)", o.Feature, o.Feature))
		}
		if prev, ok := seen[o.Feature]; ok {
			p.failAt(st.pos, fmt.Sprintf("%s %s: the LIKE options name %s twice (%s %s at line %d, column %d); each feature is given once", o.Strategy, o.Feature, o.Feature, prev.Strategy, prev.Feature, prev.At.Line, prev.At.Col))
		}
		seen[o.Feature] = o
		l.Options = append(l.Options, o)
	}
	p.expectClose(open, "the LIKE options")
	return l
}

func (p *parser) parseOptions() []*Option {
	open := p.expectOp("(", "after WITH")
	opts := []*Option{} // WITH () stays distinguishable from no WITH
	if p.isOp(")") {
		p.next()
		return opts
	}
	opts = p.parseOptionList()
	p.expectClose(open, "the WITH options")
	return opts
}

// parseOptionList parses 'key' = 'value', ...
func (p *parser) parseOptionList() []*Option {
	var opts []*Option
	for {
		k, pos := p.parseString("an option key as a 'string' in WITH (...)")
		p.expectOp("=", "after the option key '"+k+"'")
		v, _ := p.parseString("the value of option '" + k + "' as a 'string'")
		opts = append(opts, &Option{node: node{At: pos}, Key: k, Value: v})
		if !p.acceptOp(",") {
			return opts
		}
	}
}

func (p *parser) parseTableElement(ct *CreateTable) {
	t := p.tok()
	switch {
	case p.isKw("WATERMARK") && p.kwAt(1, "FOR"):
		p.next()
		p.next()
		w := &Watermark{node: node{At: t.pos}}
		w.Column = p.parseQName("the time attribute column after WATERMARK FOR")
		p.expectKw("AS", "after WATERMARK FOR "+formatQName(w.Column))
		w.Expr = p.parseExpr()
		ct.Watermarks = append(ct.Watermarks, w)
		return
	case p.isKw("PRIMARY") || p.isKw("CONSTRAINT"):
		pk := &PrimaryKey{node: node{At: t.pos}}
		if p.acceptKw("CONSTRAINT") {
			pk.Name = p.parseIdent("a constraint name")
		}
		p.expectKw("PRIMARY", "for the table constraint")
		p.expectKw("KEY", "after PRIMARY")
		pk.Columns = p.parseIdentList("primary key")
		if pk.NotEnforced = p.parseNotEnforced(); !pk.NotEnforced {
			p.unexpected("NOT ENFORCED after PRIMARY KEY (...) (Flink does not enforce keys)", "NOT")
		}
		if ct.PrimaryKey != nil {
			p.failAt(t.pos, "a second PRIMARY KEY: a table has at most one")
		}
		ct.PrimaryKey = pk
		return
	}
	col := &ColumnDef{node: node{At: t.pos}}
	col.Name = p.parseIdent("a column name, WATERMARK FOR or PRIMARY KEY in CREATE TABLE")
	if p.acceptKw("AS") {
		col.Computed = p.parseExpr()
	} else {
		col.Type = p.parseType()
		if p.acceptKw("METADATA") {
			col.Metadata = true
			if p.acceptKw("FROM") {
				k, _ := p.parseString("the metadata key as a 'string' after METADATA FROM")
				col.MetadataKey = &k
			}
			col.Virtual = p.acceptKw("VIRTUAL")
		}
		if p.isKw("PRIMARY") {
			p.next()
			p.expectKw("KEY", "after PRIMARY")
			if !p.parseNotEnforced() {
				p.unexpected("NOT ENFORCED after PRIMARY KEY (Flink does not enforce keys)", "NOT")
			}
			col.PrimaryKey = true
		}
	}
	if p.acceptKw("COMMENT") {
		c, _ := p.parseString("the column comment as a 'string'")
		col.Comment = &c
	}
	ct.Columns = append(ct.Columns, col)
}

func (p *parser) parseNotEnforced() bool {
	if p.isKw("NOT") && p.kwAt(1, "ENFORCED") {
		p.next()
		p.next()
		return true
	}
	return false
}

// ---------------------------------------------------------------- types

func (p *parser) parseType() *DataType {
	p.enter()
	defer p.leave()
	t := p.tok()
	if t.kind != tWord && t.kind != tQuoted {
		p.unexpected("a data type")
	}
	dt := &DataType{node: node{At: t.pos}}
	name := t.up
	if t.kind == tQuoted {
		name = ""
	}
	switch name {
	case "DOUBLE":
		p.next()
		dt.Name = "DOUBLE"
		p.acceptKw("PRECISION")
	case "CHARACTER", "CHAR":
		p.next()
		dt.Name = "CHAR"
		if p.acceptKw("VARYING") {
			dt.Name = "VARCHAR"
		}
		dt.Params = p.parseTypeParams(dt.Name, 1)
	case "VARCHAR", "DECIMAL", "DEC", "NUMERIC", "BINARY", "VARBINARY", "TIME", "TIMESTAMP", "TIMESTAMP_LTZ", "FLOAT":
		p.next()
		dt.Name = name
		if name == "DEC" || name == "NUMERIC" {
			dt.Name = "DECIMAL"
		}
		maxParams := 1
		if dt.Name == "DECIMAL" {
			maxParams = 2
		}
		dt.Params = p.parseTypeParams(dt.Name, maxParams)
		if name == "TIME" || name == "TIMESTAMP" {
			switch {
			case p.acceptKws("WITHOUT", "TIME", "ZONE"):
				dt.TimeZone = "WITHOUT TIME ZONE"
			case p.acceptKws("WITH", "LOCAL", "TIME", "ZONE"):
				dt.TimeZone = "WITH LOCAL TIME ZONE"
			case p.acceptKws("WITH", "TIME", "ZONE"):
				dt.TimeZone = "WITH TIME ZONE"
			}
		}
	case "STRING", "BIGINT", "INT", "INTEGER", "TINYINT", "SMALLINT", "BOOLEAN", "REAL", "DATE", "BYTES", "NULL":
		p.next()
		dt.Name = name
		if name == "INTEGER" {
			dt.Name = "INT"
		}
	case "ARRAY", "MULTISET":
		p.next()
		dt.Name = name
		open := p.expectOp("<", "after "+name)
		dt.Elems = []*DataType{p.parseType()}
		p.expectClose(open, "the element type of "+name)
	case "MAP":
		p.next()
		dt.Name = name
		open := p.expectOp("<", "after MAP")
		k := p.parseType()
		p.expectOp(",", "between the key and value types of MAP")
		v := p.parseType()
		dt.Elems = []*DataType{k, v}
		p.expectClose(open, "the key and value types of MAP")
	case "ROW":
		p.next()
		dt.Name = name
		if p.isOp("<>") { // ROW<>, an empty row type, lexed as one token
			p.next()
			break
		}
		var open token
		if p.isOp("<") || p.isOp("(") {
			open = p.next()
		} else {
			p.unexpected("\"<\" or \"(\" after ROW")
		}
		if !p.isOp(">") && !p.isOp(")") {
			for {
				f := &RowField{node: node{At: p.tok().pos}}
				f.Name = p.parseIdent("a field name in ROW")
				f.Type = p.parseType()
				if p.tok().kind == tString {
					c, _ := p.parseString("a field comment")
					f.Comment = &c
				}
				dt.Fields = append(dt.Fields, f)
				if !p.acceptOp(",") {
					break
				}
			}
		}
		p.expectClose(open, "the fields of ROW")
	case "INTERVAL":
		p.next()
		dt.Name = name
		dt.From = p.parseUnit("a time unit after INTERVAL")
		if p.acceptKw("TO") {
			dt.To = p.parseUnit("a time unit after TO")
		}
	default:
		if t.kind == tWord && reserved[t.up] {
			p.unexpected("a data type")
		}
		dt.User = p.parseQName("a data type")
	}
	for {
		switch {
		case p.isKw("NOT") && p.kwAt(1, "NULL"):
			p.next()
			p.next()
			dt.NotNull = true
			continue
		case p.isKw("NULL") && !dt.NotNull && !dt.Null && !p.kwAt(1, "ON"): // not JSON's NULL ON EMPTY
			p.next()
			dt.Null = true
			continue
		}
		break
	}
	return dt
}

// parseTypeParams parses an optional (n) or (p, s).
func (p *parser) parseTypeParams(typ string, maxN int) []string {
	if !p.isOp("(") {
		return nil
	}
	open := p.next()
	var ps []string
	for {
		t := p.tok()
		if t.kind != tNumber || strings.ContainsAny(t.text, ".eE") {
			p.unexpected(fmt.Sprintf("an integer precision or length of %s", typ))
		}
		ps = append(ps, p.next().text)
		if len(ps) == maxN || !p.acceptOp(",") {
			break
		}
	}
	p.expectClose(open, "the parameters of "+typ)
	return ps
}

func (p *parser) parseUnit(what string) string {
	t := p.tok()
	u := t.up
	if t.kind == tWord && strings.HasSuffix(u, "S") && timeUnits[u[:len(u)-1]] {
		u = u[:len(u)-1] // SECONDS, DAYS ...
	}
	if t.kind != tWord || !timeUnits[u] {
		p.unexpected(what+" (SECOND, MINUTE, HOUR, DAY, ...)", "SECOND", "MINUTE", "HOUR", "DAY", "MONTH", "YEAR", "WEEK", "MILLISECOND")
	}
	p.next()
	return u
}
