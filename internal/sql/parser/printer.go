package parser

import (
	"strings"
	"unicode/utf8"
)

// Format returns n as canonical SQL: keywords in upper case, identifiers
// quoted only when they must be, single spaces, parentheses exactly where
// precedence needs them. Parsing the result gives back an equal tree
// (positions aside).
func Format(n Node) string {
	var pr printer
	pr.node(n)
	return pr.b.String()
}

type printer struct{ b strings.Builder }

func (pr *printer) w(ss ...string) {
	for _, s := range ss {
		pr.b.WriteString(s)
	}
}

// identNeedsQuote reports whether name must be backticked.
func identNeedsQuote(name string) bool {
	if name == "" {
		return true
	}
	for i, r := range name {
		if i == 0 && !isIdentStart(r) || i > 0 && !isIdentPart(r) || r == utf8.RuneError {
			return true
		}
	}
	up := strings.ToUpper(name)
	return reserved[up] || niladic[up] || flinkReserved[up]
}

// simpleName reports whether name can be written without backticks at all.
func simpleName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		if i == 0 && !isIdentStart(r) || i > 0 && !isIdentPart(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// specialCalls are the functions with their own argument syntax; a quoted
// name of one stays quoted so that it is read as a plain call again.
var specialCalls = map[string]bool{
	"TRY_CAST": true, "EXTRACT": true, "POSITION": true, "TRIM": true, "SUBSTRING": true,
	"TIMESTAMPADD": true, "TIMESTAMPDIFF": true, "DESCRIPTOR": true,
	"FLOOR": true, "CEIL": true, "CEILING": true, "OVERLAY": true,
	"JSON_EXISTS": true, "JSON_VALUE": true, "JSON_QUERY": true, "JSON_OBJECT": true,
	"JSON_OBJECTAGG": true, "JSON_ARRAY": true, "JSON_ARRAYAGG": true,
}

// formatFuncName writes a function name: Flink's reserved words that name
// functions (COUNT, MAX, MOD, LEFT ...) stay unquoted.
func formatFuncName(q *QName) string {
	parts := make([]string, len(q.Parts))
	for i, id := range q.Parts {
		up := strings.ToUpper(id.Name)
		quote := !simpleName(id.Name) ||
			reserved[up] && up != "LEFT" && up != "RIGHT" && up != "ARRAY" && up != "MAP" ||
			id.Quoted && specialCalls[up]
		if quote {
			parts[i] = "`" + strings.ReplaceAll(id.Name, "`", "``") + "`"
		} else {
			parts[i] = id.Name
		}
	}
	return strings.Join(parts, ".")
}

func formatIdent(name string) string {
	if identNeedsQuote(name) {
		return "`" + strings.ReplaceAll(name, "`", "``") + "`"
	}
	return name
}

func formatQName(q *QName) string {
	parts := make([]string, len(q.Parts))
	for i, id := range q.Parts {
		parts[i] = formatIdent(id.Name)
	}
	return strings.Join(parts, ".")
}

func formatString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func (pr *printer) ident(id *Ident) { pr.w(formatIdent(id.Name)) }

func (pr *printer) idents(ids []*Ident) {
	for i, id := range ids {
		if i > 0 {
			pr.w(", ")
		}
		pr.ident(id)
	}
}

func (pr *printer) exprs(es []Expr) {
	for i, e := range es {
		if i > 0 {
			pr.w(", ")
		}
		pr.expr(e, 0)
	}
}

func (pr *printer) node(n Node) {
	switch n := n.(type) {
	case Stmt:
		pr.stmt(n)
	case *Script:
		for i, s := range n.Stmts {
			if i > 0 {
				pr.w("\n")
			}
			pr.stmt(s)
			pr.w(";")
		}
	case *Query:
		pr.query(n)
	case QueryBody:
		pr.body(n, false)
	case Expr:
		pr.expr(n, 0)
	case TableExpr:
		pr.table(n)
	case *DataType:
		pr.typ(n)
	case Pattern:
		pr.pattern(n)
	case *Ident:
		pr.ident(n)
	case *QName:
		pr.w(formatQName(n))
	case *WindowSpec:
		pr.windowSpec(n)
	case *OrderItem:
		pr.orderItems([]*OrderItem{n})
	case *SelectItem:
		pr.selectItem(n)
	case *ColumnDef:
		pr.columnDef(n)
	case *Option:
		pr.w(formatString(n.Key), " = ", formatString(n.Value))
	default:
		pr.w("<?>")
	}
}

// ---------------------------------------------------------------- statements

func (pr *printer) stmt(s Stmt) {
	switch s := s.(type) {
	case *QueryStmt:
		pr.query(s.Query)
	case *CreateTable:
		pr.w("CREATE ")
		if s.OrReplace {
			pr.w("OR REPLACE ")
		}
		if s.Temporary {
			pr.w("TEMPORARY ")
		}
		pr.w("TABLE ")
		if s.IfNotExists {
			pr.w("IF NOT EXISTS ")
		}
		pr.w(formatQName(s.Name))
		if len(s.Columns)+len(s.Watermarks) > 0 || s.PrimaryKey != nil {
			pr.w(" (")
			sep := ""
			for _, c := range s.Columns {
				pr.w(sep)
				sep = ", "
				pr.columnDef(c)
			}
			for _, wm := range s.Watermarks {
				pr.w(sep, "WATERMARK FOR ", formatQName(wm.Column), " AS ")
				sep = ", "
				pr.expr(wm.Expr, 0)
			}
			if s.PrimaryKey != nil {
				pr.w(sep)
				pr.primaryKey(s.PrimaryKey)
			}
			pr.w(")")
		}
		if s.Comment != nil {
			pr.w(" COMMENT ", formatString(*s.Comment))
		}
		if s.PartitionBy != nil {
			pr.w(" PARTITIONED BY (")
			pr.idents(s.PartitionBy)
			pr.w(")")
		}
		if s.Options != nil {
			pr.w(" WITH (")
			for i, o := range s.Options {
				if i > 0 {
					pr.w(", ")
				}
				pr.w(formatString(o.Key), " = ", formatString(o.Value))
			}
			pr.w(")")
		}
		if s.Like != nil {
			pr.w(" ")
			pr.tableLike(s.Like)
		}
		if s.AsQuery != nil {
			pr.w(" AS ")
			pr.query(s.AsQuery)
		}
	case *CreateView:
		pr.w("CREATE ")
		if s.Temporary {
			pr.w("TEMPORARY ")
		}
		pr.w("VIEW ")
		if s.IfNotExists {
			pr.w("IF NOT EXISTS ")
		}
		pr.w(formatQName(s.Name))
		if s.Columns != nil {
			pr.w(" (")
			pr.idents(s.Columns)
			pr.w(")")
		}
		pr.w(" AS ")
		pr.query(s.Query)
	case *CreateFunction:
		pr.w("CREATE ")
		if s.Temporary {
			pr.w("TEMPORARY ")
		}
		if s.System {
			pr.w("SYSTEM ")
		}
		pr.w("FUNCTION ")
		if s.IfNotExists {
			pr.w("IF NOT EXISTS ")
		}
		pr.w(formatQName(s.Name), " AS ", formatString(s.Class))
		if s.Language != "" {
			pr.w(" LANGUAGE ", s.Language)
		}
	case *Drop:
		pr.w("DROP ")
		if s.Temporary {
			pr.w("TEMPORARY ")
		}
		pr.w(s.Object, " ")
		if s.IfExists {
			pr.w("IF EXISTS ")
		}
		pr.w(formatQName(s.Name))
	case *Show:
		pr.w("SHOW ", s.What)
		if s.Name != nil {
			pr.w(" ", formatQName(s.Name))
		}
	case *Describe:
		pr.w("DESCRIBE ")
		if s.Extended {
			pr.w("EXTENDED ")
		}
		pr.w(formatQName(s.Name))
	case *Explain:
		pr.w("EXPLAIN ")
		if s.PlanFor {
			pr.w("PLAN FOR ")
		}
		if s.Details != nil {
			pr.w(strings.Join(s.Details, ", "), " ")
		}
		pr.stmt(s.Stmt)
	case *Use:
		pr.w("USE ")
		if s.Catalog {
			pr.w("CATALOG ")
		}
		pr.w(formatQName(s.Name))
	case *Set:
		pr.w("SET")
		if s.Key != nil {
			pr.w(" ", formatString(*s.Key), " = ", formatString(*s.Value))
		}
	case *Reset:
		pr.w("RESET")
		if s.Key != nil {
			pr.w(" ", formatString(*s.Key))
		}
	case *Insert:
		pr.insert(s)
	case *StatementSet:
		if s.Execute {
			pr.w("EXECUTE STATEMENT SET BEGIN ")
		} else {
			pr.w("BEGIN STATEMENT SET; ")
		}
		for _, ins := range s.Inserts {
			pr.insert(ins)
			pr.w("; ")
		}
		pr.w("END")
	default:
		pr.w("<?>")
	}
}

func (pr *printer) hints(hs []*Hint) {
	if hs == nil {
		return
	}
	pr.w(" /*+ ")
	for i, h := range hs {
		if i > 0 {
			pr.w(", ")
		}
		pr.hint(h)
	}
	pr.w(" */")
}

func (pr *printer) hint(h *Hint) {
	pr.ident(h.Name)
	switch {
	case h.Options != nil:
		pr.w("(")
		for i, o := range h.Options {
			if i > 0 {
				pr.w(", ")
			}
			pr.w(formatString(o.Key), " = ", formatString(o.Value))
		}
		pr.w(")")
	case h.Args != nil:
		pr.w("(")
		pr.idents(h.Args)
		pr.w(")")
	}
}

func (pr *printer) primaryKey(pk *PrimaryKey) {
	if pk.Name != nil {
		pr.w("CONSTRAINT ")
		pr.ident(pk.Name)
		pr.w(" ")
	}
	pr.w("PRIMARY KEY (")
	pr.idents(pk.Columns)
	pr.w(")")
	if pk.NotEnforced {
		pr.w(" NOT ENFORCED")
	}
}

func (pr *printer) afterMatch(a *AfterMatch) {
	pr.w("AFTER MATCH SKIP ", a.Kind)
	if a.Var != nil {
		pr.w(" ")
		if up := strings.ToUpper(a.Var.Name); a.Kind == "TO" && (up == "FIRST" || up == "LAST") {
			pr.w("`", a.Var.Name, "`") // TO first would read as TO FIRST
			return
		}
		pr.ident(a.Var)
	}
}

func (pr *printer) subset(s *Subset) {
	pr.ident(s.Name)
	pr.w(" = (")
	pr.idents(s.Vars)
	pr.w(")")
}

func (pr *printer) insert(s *Insert) {
	pr.w("INSERT ")
	if s.Overwrite {
		pr.w("OVERWRITE ")
	} else {
		pr.w("INTO ")
	}
	pr.w(formatQName(s.Table))
	pr.hints(s.Hints)
	if s.Partition != nil {
		pr.w(" PARTITION (")
		for i, pv := range s.Partition {
			if i > 0 {
				pr.w(", ")
			}
			pr.ident(pv.Column)
			pr.w(" = ")
			pr.expr(pv.Value, 0)
		}
		pr.w(")")
	}
	if s.Columns != nil {
		pr.w(" (")
		pr.idents(s.Columns)
		pr.w(")")
	}
	pr.w(" ")
	pr.query(s.Query)
}

func (pr *printer) columnDef(c *ColumnDef) {
	pr.ident(c.Name)
	if c.Computed != nil {
		pr.w(" AS ")
		pr.expr(c.Computed, 0)
	} else if c.Type != nil {
		pr.w(" ")
		pr.typ(c.Type)
		if c.Metadata {
			pr.w(" METADATA")
			if c.MetadataKey != nil {
				pr.w(" FROM ", formatString(*c.MetadataKey))
			}
			if c.Virtual {
				pr.w(" VIRTUAL")
			}
		}
		if c.PrimaryKey {
			pr.w(" PRIMARY KEY NOT ENFORCED")
		}
	}
	if c.Comment != nil {
		pr.w(" COMMENT ", formatString(*c.Comment))
	}
}

// ---------------------------------------------------------------- types

// builtinTypes are the words parseType reads as built-in types; a user type
// named like one is quoted.
var builtinTypes = map[string]bool{
	"DOUBLE": true, "CHARACTER": true, "CHAR": true, "VARCHAR": true, "DECIMAL": true, "DEC": true,
	"NUMERIC": true, "BINARY": true, "VARBINARY": true, "TIME": true, "TIMESTAMP": true,
	"TIMESTAMP_LTZ": true, "FLOAT": true, "STRING": true, "BIGINT": true, "INT": true,
	"INTEGER": true, "TINYINT": true, "SMALLINT": true, "BOOLEAN": true, "REAL": true, "DATE": true,
	"BYTES": true, "NULL": true, "ARRAY": true, "MULTISET": true, "MAP": true, "ROW": true, "INTERVAL": true,
}

func (pr *printer) typ(t *DataType) {
	if t.User != nil {
		name := formatQName(t.User)
		if first := t.User.Parts[0].Name; builtinTypes[strings.ToUpper(first)] && !identNeedsQuote(first) {
			name = "`" + first + "`" + name[len(first):]
		}
		pr.w(name)
	} else {
		pr.w(t.Name)
	}
	switch t.Name {
	case "ARRAY", "MULTISET":
		pr.w("<")
		for _, e := range t.Elems {
			pr.typ(e)
		}
		pr.w(">")
	case "MAP":
		pr.w("<")
		for i, e := range t.Elems {
			if i > 0 {
				pr.w(", ")
			}
			pr.typ(e)
		}
		pr.w(">")
	case "ROW":
		pr.w("<")
		for i, f := range t.Fields {
			if i > 0 {
				pr.w(", ")
			}
			pr.ident(f.Name)
			pr.w(" ")
			pr.typ(f.Type)
			if f.Comment != nil {
				pr.w(" ", formatString(*f.Comment))
			}
		}
		pr.w(">")
	case "INTERVAL":
		pr.w(" ", t.From)
		if t.To != "" {
			pr.w(" TO ", t.To)
		}
	}
	if t.Params != nil {
		pr.w("(", strings.Join(t.Params, ", "), ")")
	}
	if t.TimeZone != "" {
		pr.w(" ", t.TimeZone)
	}
	if t.Null {
		pr.w(" NULL")
	}
	if t.NotNull {
		pr.w(" NOT NULL")
	}
}

// ---------------------------------------------------------------- queries

func (pr *printer) query(q *Query) {
	if q.With != nil {
		pr.w("WITH ")
		for i, c := range q.With {
			if i > 0 {
				pr.w(", ")
			}
			pr.ident(c.Name)
			if c.Columns != nil {
				pr.w(" (")
				pr.idents(c.Columns)
				pr.w(")")
			}
			pr.w(" AS (")
			pr.query(c.Query)
			pr.w(")")
		}
		pr.w(" ")
	}
	pr.body(q.Body, false)
	if q.OrderBy != nil {
		pr.w(" ORDER BY ")
		pr.orderItems(q.OrderBy)
	}
	if q.Limit != nil {
		pr.w(" LIMIT ")
		pr.expr(q.Limit, precAdd)
	}
	if q.Offset != nil {
		pr.w(" OFFSET ")
		pr.expr(q.Offset, precAdd)
	}
}

func bodyPrec(b QueryBody) int {
	if s, ok := b.(*SetOp); ok {
		if s.Op == "INTERSECT" {
			return 2
		}
		return 1
	}
	return 3
}

// body prints a query body; paren forces parentheses around a nested query.
func (pr *printer) body(b QueryBody, paren bool) {
	switch b := b.(type) {
	case *Select:
		if paren {
			pr.w("(")
		}
		pr.selectBlock(b)
		if paren {
			pr.w(")")
		}
	case *Values:
		if paren {
			pr.w("(")
		}
		pr.w("VALUES ")
		for i, row := range b.Rows {
			if i > 0 {
				pr.w(", ")
			}
			pr.w("(")
			pr.exprs(row)
			pr.w(")")
		}
		if paren {
			pr.w(")")
		}
	case *Query:
		pr.w("(")
		pr.query(b)
		pr.w(")")
	case *SetOp:
		if paren {
			pr.w("(")
		}
		p := bodyPrec(b)
		pr.body(b.Left, bodyPrec(b.Left) < p)
		pr.w(" ", b.Op)
		if b.All {
			pr.w(" ALL")
		}
		if b.Distinct {
			pr.w(" DISTINCT")
		}
		pr.w(" ")
		pr.body(b.Right, bodyPrec(b.Right) <= p)
		if paren {
			pr.w(")")
		}
	}
}

func (pr *printer) selectItem(it *SelectItem) {
	pr.expr(it.Expr, 0)
	if it.Alias != nil {
		pr.w(" AS ")
		pr.ident(it.Alias)
	}
}

func (pr *printer) selectBlock(s *Select) {
	pr.w("SELECT")
	pr.hints(s.Hints)
	pr.w(" ")
	if s.Distinct {
		pr.w("DISTINCT ")
	}
	for i, it := range s.Items {
		if i > 0 {
			pr.w(", ")
		}
		pr.selectItem(it)
	}
	if s.From != nil {
		pr.w(" FROM ")
		pr.table(s.From)
	}
	if s.Where != nil {
		pr.w(" WHERE ")
		pr.expr(s.Where, 0)
	}
	if s.GroupBy != nil {
		pr.w(" GROUP BY ")
		for i, g := range s.GroupBy {
			if i > 0 {
				pr.w(", ")
			}
			// a call named ROLLUP or CUBE would read back as a grouping set
			if f, ok := g.(*FuncCall); ok && len(f.Name.Parts) == 1 &&
				(strings.EqualFold(f.Name.Parts[0].Name, "ROLLUP") || strings.EqualFold(f.Name.Parts[0].Name, "CUBE")) {
				pr.w("(")
				pr.expr(g, 0)
				pr.w(")")
				continue
			}
			pr.expr(g, 0)
		}
	}
	if s.Having != nil {
		pr.w(" HAVING ")
		pr.expr(s.Having, 0)
	}
	if s.Windows != nil {
		pr.w(" WINDOW ")
		for i, w := range s.Windows {
			if i > 0 {
				pr.w(", ")
			}
			pr.ident(w.Name)
			pr.w(" AS ")
			pr.windowSpec(w.Spec)
		}
	}
}

func (pr *printer) orderItems(items []*OrderItem) {
	for i, it := range items {
		if i > 0 {
			pr.w(", ")
		}
		pr.expr(it.Expr, 0)
		if it.Asc {
			pr.w(" ASC")
		}
		if it.Desc {
			pr.w(" DESC")
		}
		if it.NullsOrder != "" {
			pr.w(" NULLS ", it.NullsOrder)
		}
	}
}

func (pr *printer) windowSpec(ws *WindowSpec) {
	pr.w("(")
	sep := ""
	if ws.Base != nil {
		pr.ident(ws.Base)
		sep = " "
	}
	if ws.PartitionBy != nil {
		pr.w(sep, "PARTITION BY ")
		pr.exprs(ws.PartitionBy)
		sep = " "
	}
	if ws.OrderBy != nil {
		pr.w(sep, "ORDER BY ")
		pr.orderItems(ws.OrderBy)
		sep = " "
	}
	if f := ws.Frame; f != nil {
		pr.w(sep, f.Unit, " ")
		if f.End != nil {
			pr.w("BETWEEN ")
			pr.frameBound(f.Start)
			pr.w(" AND ")
			pr.frameBound(f.End)
		} else {
			pr.frameBound(f.Start)
		}
	}
	pr.w(")")
}

func (pr *printer) frameBound(b *FrameBound) {
	if b.Offset != nil {
		// a column named unbounded or current would read as the keyword
		if c, ok := b.Offset.(*ColumnRef); ok && len(c.Parts) == 1 &&
			(strings.EqualFold(c.Parts[0].Name, "UNBOUNDED") || strings.EqualFold(c.Parts[0].Name, "CURRENT")) {
			pr.w("(")
			pr.expr(b.Offset, 0)
			pr.w(")")
		} else {
			pr.expr(b.Offset, precAdd)
		}
		pr.w(" ")
	}
	pr.w(b.Kind)
}

// ---------------------------------------------------------------- FROM

func (pr *printer) alias(a *Alias) {
	if a == nil {
		return
	}
	pr.w(" AS ")
	pr.ident(a.Name)
	if a.Columns != nil {
		pr.w(" (")
		pr.idents(a.Columns)
		pr.w(")")
	}
}

func (pr *printer) table(t TableExpr) {
	switch t := t.(type) {
	case *TableName:
		pr.w(formatQName(t.Name))
		pr.hints(t.Hints)
		if t.SystemTime != nil {
			pr.w(" FOR SYSTEM_TIME AS OF ")
			pr.expr(t.SystemTime, precAdd)
		}
		pr.alias(t.Alias)
	case *DerivedTable:
		if t.Lateral {
			pr.w("LATERAL ")
		}
		pr.w("(")
		pr.query(t.Query)
		pr.w(")")
		pr.alias(t.Alias)
	case *TableFunc:
		if t.Lateral {
			pr.w("LATERAL ")
		}
		pr.w("TABLE(")
		pr.expr(t.Call, 0)
		pr.w(")")
		pr.alias(t.Alias)
	case *Unnest:
		pr.w("UNNEST(")
		pr.exprs(t.Args)
		pr.w(")")
		if t.WithOrdinality {
			pr.w(" WITH ORDINALITY")
		}
		pr.alias(t.Alias)
	case *ParenTable:
		pr.w("(")
		pr.table(t.Table)
		pr.w(")")
	case *Join:
		pr.join(t)
	case *MatchRecognize:
		pr.matchRecognize(t)
	}
}

func (pr *printer) join(j *Join) {
	if l, ok := j.Left.(*Join); ok && l.Kind == "," && j.Kind != "," {
		pr.w("(")
		pr.table(l)
		pr.w(")")
	} else {
		pr.table(j.Left)
	}
	if j.Kind == "," {
		pr.w(", ")
	} else {
		pr.w(" ")
		if j.Natural {
			pr.w("NATURAL ")
		}
		switch {
		case j.Kind == "INNER" && !j.Inner:
		case j.Kind == "INNER":
			pr.w("INNER ")
		default:
			pr.w(j.Kind, " ")
			if j.Outer {
				pr.w("OUTER ")
			}
		}
		pr.w("JOIN ")
	}
	if r, ok := j.Right.(*Join); ok && (j.Kind != "," || r.Kind == ",") {
		pr.w("(")
		pr.table(r)
		pr.w(")")
	} else {
		pr.table(j.Right)
	}
	if j.On != nil {
		pr.w(" ON ")
		pr.expr(j.On, 0)
	}
	if j.Using != nil {
		pr.w(" USING (")
		pr.idents(j.Using)
		pr.w(")")
	}
}

func (pr *printer) matchRecognize(m *MatchRecognize) {
	pr.table(m.Input)
	pr.w(" MATCH_RECOGNIZE (")
	sep := ""
	if m.PartitionBy != nil {
		pr.w("PARTITION BY ")
		pr.exprs(m.PartitionBy)
		sep = " "
	}
	if m.OrderBy != nil {
		pr.w(sep, "ORDER BY ")
		pr.orderItems(m.OrderBy)
		sep = " "
	}
	if m.Measures != nil {
		pr.w(sep, "MEASURES ")
		for i, ms := range m.Measures {
			if i > 0 {
				pr.w(", ")
			}
			if ms.Semantics != "" {
				pr.w(ms.Semantics, " ")
			}
			var sub printer
			sub.expr(ms.Expr, 0)
			text := sub.b.String()
			if ms.Semantics == "" && startsWithWord(text, "RUNNING", "FINAL") {
				text = "(" + text + ")" // would read as the semantics keyword
			}
			pr.w(text)
			pr.w(" AS ")
			pr.ident(ms.Alias)
		}
		sep = " "
	}
	if m.RowsPerMatch != "" {
		pr.w(sep, m.RowsPerMatch)
		sep = " "
	}
	if m.AfterMatch != nil {
		pr.w(sep)
		pr.afterMatch(m.AfterMatch)
		sep = " "
	}
	pr.w(sep, "PATTERN (")
	pr.pattern(m.Pattern)
	pr.w(")")
	if m.Within != nil {
		pr.w(" WITHIN ")
		pr.expr(m.Within, precAdd)
	}
	if m.Subsets != nil {
		pr.w(" SUBSET ")
		for i, s := range m.Subsets {
			if i > 0 {
				pr.w(", ")
			}
			pr.subset(s)
		}
	}
	pr.w(" DEFINE ")
	for i, d := range m.Define {
		if i > 0 {
			pr.w(", ")
		}
		pr.ident(d.Var)
		pr.w(" AS ")
		pr.expr(d.Cond, 0)
	}
	pr.w(")")
	pr.alias(m.Alias)
}

func (pr *printer) pattern(p Pattern) {
	switch p := p.(type) {
	case *PatternAlt:
		for i, a := range p.Alts {
			if i > 0 {
				pr.w(" | ")
			}
			pr.pattern(a)
		}
	case *PatternSeq:
		for i, it := range p.Items {
			if i > 0 {
				pr.w(" ")
			}
			pr.pattern(it)
		}
	case *PatternVar:
		pr.ident(p.Name)
	case *PatternGroup:
		pr.w("(")
		if p.Inner != nil {
			pr.pattern(p.Inner)
		}
		pr.w(")")
	case *PatternQuant:
		pr.pattern(p.X)
		pr.w(p.Form)
		if p.Reluctant {
			pr.w("?")
		}
	}
}

// ---------------------------------------------------------------- expressions

// exprPrec is the precedence of the operator at the top of e.
func exprPrec(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		switch e.Op {
		case "OR":
			return precOr
		case "AND":
			return precAnd
		case "+", "-":
			return precAdd
		case "*", "/", "%", "||":
			return precMul
		}
		return precCmp
	case *Unary:
		if e.Op == "NOT" {
			return precNot
		}
		return precUnary
	case *IsExpr, *IsDistinct:
		return precIs
	case *Between, *InList, *InQuery, *Like:
		return precPred
	}
	return precPrimary
}

// expr prints e, in parentheses when its precedence is below min.
func (pr *printer) expr(e Expr, min int) {
	if exprPrec(e) < min {
		pr.w("(")
		pr.expr(e, 0)
		pr.w(")")
		return
	}
	switch e := e.(type) {
	case *ColumnRef:
		for i, id := range e.Parts {
			if i > 0 {
				pr.w(".")
			}
			pr.ident(id)
		}
	case *Star:
		for _, id := range e.Qualifier {
			pr.ident(id)
			pr.w(".")
		}
		pr.w("*")
	case *Literal:
		switch e.Kind {
		case LitString:
			pr.w(formatString(e.Value))
		default:
			pr.w(e.Value)
		}
	case *TypedLiteral:
		pr.w(e.Type, " ", formatString(e.Value))
	case *IntervalLit:
		pr.w("INTERVAL ")
		if e.Negative {
			pr.w("-")
		}
		pr.w(formatString(e.Value), " ", e.From)
		if e.To != "" {
			pr.w(" TO ", e.To)
		}
	case *Param:
		pr.w("?")
	case *Binary:
		p := exprPrec(e)
		pr.expr(e.L, p)
		pr.w(" ", e.Op, " ")
		pr.expr(e.R, p+1)
	case *Unary:
		if e.Op == "NOT" {
			pr.w("NOT ")
			pr.expr(e.X, precNot)
			return
		}
		pr.w(e.Op)
		var sub printer
		sub.expr(e.X, precUnary)
		s := sub.b.String()
		if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
			pr.w(" ")
		}
		pr.w(s)
	case *IsExpr:
		pr.expr(e.X, precIs)
		pr.w(" IS ")
		if e.Not {
			pr.w("NOT ")
		}
		pr.w(e.What)
	case *IsDistinct:
		pr.expr(e.X, precIs)
		pr.w(" IS ")
		if e.Not {
			pr.w("NOT ")
		}
		pr.w("DISTINCT FROM ")
		pr.expr(e.Y, precAdd)
	case *Between:
		pr.expr(e.X, precPred)
		pr.not(e.Not)
		pr.w(" BETWEEN ")
		if e.Mode != "" {
			pr.w(e.Mode, " ")
		}
		pr.expr(e.Lo, precAdd)
		pr.w(" AND ")
		pr.expr(e.Hi, precAdd)
	case *InList:
		pr.expr(e.X, precPred)
		pr.not(e.Not)
		pr.w(" IN (")
		pr.exprs(e.List)
		pr.w(")")
	case *InQuery:
		pr.expr(e.X, precPred)
		pr.not(e.Not)
		pr.w(" IN (")
		pr.query(e.Query)
		pr.w(")")
	case *Like:
		pr.expr(e.X, precPred)
		pr.not(e.Not)
		if e.Similar {
			pr.w(" SIMILAR TO ")
		} else {
			pr.w(" LIKE ")
		}
		pr.expr(e.Pattern, precAdd)
		if e.Escape != nil {
			pr.w(" ESCAPE ")
			pr.expr(e.Escape, precAdd)
		}
	case *Case:
		pr.w("CASE")
		if e.Operand != nil {
			pr.w(" ")
			pr.expr(e.Operand, 0)
		}
		for _, w := range e.Whens {
			pr.w(" WHEN ")
			pr.expr(w.Cond, 0)
			pr.w(" THEN ")
			pr.expr(w.Result, 0)
		}
		if e.Else != nil {
			pr.w(" ELSE ")
			pr.expr(e.Else, 0)
		}
		pr.w(" END")
	case *Cast:
		if e.Try {
			pr.w("TRY_CAST(")
		} else {
			pr.w("CAST(")
		}
		pr.expr(e.X, 0)
		pr.w(" AS ")
		pr.typ(e.Type)
		pr.w(")")
	case *Extract:
		pr.w("EXTRACT(", e.Unit, " FROM ")
		pr.expr(e.X, 0)
		pr.w(")")
	case *Position:
		pr.w("POSITION(")
		pr.expr(e.Sub, precAdd)
		pr.w(" IN ")
		pr.expr(e.X, 0)
		pr.w(")")
	case *Trim:
		pr.w("TRIM(")
		if e.Side != "" {
			pr.w(e.Side, " ")
		}
		if e.Chars != nil {
			pr.expr(e.Chars, 0)
			pr.w(" ")
		}
		pr.w("FROM ")
		pr.expr(e.X, 0)
		pr.w(")")
	case *Substring:
		pr.w("SUBSTRING(")
		pr.expr(e.X, 0)
		pr.w(" FROM ")
		pr.expr(e.Start, 0)
		if e.Len != nil {
			pr.w(" FOR ")
			pr.expr(e.Len, 0)
		}
		pr.w(")")
	case *TimeUnit:
		pr.w(e.Unit)
	case *JSONCall:
		pr.jsonCall(e)
	case *FloorCeil:
		pr.w(e.Func, "(")
		if iv, ok := e.X.(*IntervalLit); ok && iv.To == "" {
			// INTERVAL '1' DAY TO HOUR would read as one interval
			pr.w("(")
			pr.expr(e.X, 0)
			pr.w(")")
		} else {
			pr.expr(e.X, 0)
		}
		pr.w(" TO ", e.Unit, ")")
	case *Overlay:
		pr.w("OVERLAY(")
		pr.expr(e.X, 0)
		pr.w(" PLACING ")
		pr.expr(e.With, 0)
		pr.w(" FROM ")
		pr.expr(e.Start, 0)
		if e.Len != nil {
			pr.w(" FOR ")
			pr.expr(e.Len, 0)
		}
		pr.w(")")
	case *FuncCall:
		pr.call(e)
	case *NamedArg:
		pr.ident(e.Name)
		pr.w(" => ")
		pr.argValue(e.Value)
	case *TableArg:
		if e.Query != nil {
			pr.w("TABLE (")
			pr.query(e.Query)
			pr.w(")")
		} else {
			pr.w("TABLE ", formatQName(e.Name))
		}
		if e.PartitionBy != nil {
			pr.w(" PARTITION BY ")
			if len(e.PartitionBy) == 1 {
				pr.expr(e.PartitionBy[0], 0)
			} else {
				pr.w("(")
				pr.exprs(e.PartitionBy)
				pr.w(")")
			}
		}
		if e.OrderBy != nil {
			pr.w(" ORDER BY (")
			pr.orderItems(e.OrderBy)
			pr.w(")")
		}
	case *Descriptor:
		pr.w("DESCRIPTOR(")
		pr.idents(e.Columns)
		pr.w(")")
	case *Subquery:
		pr.w("(")
		pr.query(e.Query)
		pr.w(")")
	case *Exists:
		pr.w("EXISTS (")
		pr.query(e.Query)
		pr.w(")")
	case *ArrayCtor:
		pr.w("ARRAY[")
		pr.exprs(e.Elems)
		pr.w("]")
	case *MapCtor:
		pr.w("MAP[")
		pr.exprs(e.Elems)
		pr.w("]")
	case *Row:
		if e.Explicit {
			pr.w("ROW")
		}
		pr.w("(")
		pr.exprs(e.Elems)
		pr.w(")")
	case *GroupingSet:
		pr.w(e.Kind, " (")
		pr.exprs(e.Items)
		pr.w(")")
	case *Index:
		pr.postfixBase(e.X, false)
		pr.w("[")
		pr.expr(e.I, 0)
		pr.w("]")
	case *FieldAccess:
		pr.postfixBase(e.X, true)
		pr.w(".")
		pr.ident(e.Field)
	default:
		pr.w("<?>")
	}
}

// postfixBase prints the operand of [i] or .field. Before .field a column
// reference, a niladic call or a number is parenthesised so that it is not
// read as part of a name or of the number.
func (pr *printer) postfixBase(x Expr, field bool) {
	paren := false
	if field {
		switch x := x.(type) {
		case *ColumnRef:
			paren = true
		case *FuncCall:
			paren = x.NoParens
		case *Literal:
			paren = x.Kind == LitNumber
		}
	}
	if paren {
		pr.w("(")
		pr.expr(x, 0)
		pr.w(")")
		return
	}
	pr.expr(x, precPrimary)
}

func (pr *printer) jsonCall(j *JSONCall) {
	pr.w(j.Func, "(")
	sep := ""
	switch j.Func {
	case "JSON_OBJECT", "JSON_OBJECTAGG":
		for i := range j.Keys {
			pr.w(sep, "KEY ")
			// parenthesised unless primary: "k IS JSON VALUE v" would
			// read as IS JSON VALUE
			pr.expr(j.Keys[i], precPrimary)
			pr.w(" VALUE ")
			pr.expr(j.Values[i], 0)
			sep = ", "
		}
		sep = " "
		if len(j.Keys) == 0 {
			sep = ""
		}
	default:
		pr.exprs(j.Args)
		if len(j.Args) > 0 {
			sep = " "
		}
	}
	if j.Returning != nil {
		pr.w(sep, "RETURNING ")
		pr.typ(j.Returning)
		sep = " "
	}
	if j.Wrapper != "" {
		pr.w(sep, j.Wrapper)
		sep = " "
	}
	for _, c := range []struct {
		b    *JSONBehavior
		when string
	}{{j.OnEmpty, "EMPTY"}, {j.OnError, "ERROR"}} {
		if c.b == nil {
			continue
		}
		pr.w(sep, c.b.Kind)
		if c.b.Default != nil {
			pr.w(" ")
			pr.expr(c.b.Default, 0)
		}
		pr.w(" ON ", c.when)
		sep = " "
	}
	if j.OnNull != "" {
		pr.w(sep, j.OnNull, " ON NULL")
	}
	pr.w(")")
}

// startsWithWord reports whether text begins with one of the words (any
// case) followed by a space.
func startsWithWord(text string, words ...string) bool {
	for _, w := range words {
		if len(text) > len(w) && strings.EqualFold(text[:len(w)], w) && text[len(w)] == ' ' {
			return true
		}
	}
	return false
}

func (pr *printer) not(not bool) {
	if not {
		pr.w(" NOT")
	}
}

// argValue prints an argument of a call. A call named DESCRIPTOR that is
// the whole argument is parenthesised: bare, it would read back as a
// Descriptor.
func (pr *printer) argValue(a Expr) {
	if f, ok := a.(*FuncCall); ok && len(f.Name.Parts) == 1 && strings.EqualFold(f.Name.Parts[0].Name, "DESCRIPTOR") {
		pr.w("(")
		pr.expr(a, 0)
		pr.w(")")
		return
	}
	pr.expr(a, 0)
}

func (pr *printer) call(c *FuncCall) {
	pr.w(formatFuncName(c.Name))
	if c.NoParens {
		return
	}
	pr.w("(")
	if c.Distinct {
		pr.w("DISTINCT ")
	}
	if c.All {
		pr.w("ALL ")
	}
	for i, a := range c.Args {
		if i > 0 {
			pr.w(", ")
		}
		pr.argValue(a)
	}
	if c.Nulls != "" {
		pr.w(" ", c.Nulls, " NULLS")
	}
	pr.w(")")
	if c.Filter != nil {
		pr.w(" FILTER (WHERE ")
		pr.expr(c.Filter, 0)
		pr.w(")")
	}
	if c.Over != nil {
		pr.w(" OVER ")
		pr.windowSpec(c.Over)
	}
	if c.OverName != nil {
		pr.w(" OVER ")
		pr.ident(c.OverName)
	}
}

// String methods: every node prints as canonical SQL.

func (n *Ident) String() string       { return Format(n) }
func (n *QName) String() string       { return Format(n) }
func (n *Script) String() string      { return Format(n) }
func (n *QueryStmt) String() string   { return Format(n) }
func (n *CreateTable) String() string { return Format(n) }
func (n *ColumnDef) String() string   { return Format(n) }
func (n *Watermark) String() string {
	return "WATERMARK FOR " + formatQName(n.Column) + " AS " + Format(n.Expr)
}
func (n *PrimaryKey) String() string {
	var pr printer
	pr.primaryKey(n)
	return pr.b.String()
}
func (n *Option) String() string { return Format(n) }
func (n *TableLike) String() string {
	var pr printer
	pr.tableLike(n)
	return pr.b.String()
}
func (n *LikeOption) String() string { return n.Strategy + " " + n.Feature }

// tableLike prints LIKE source [(option ...)].
func (pr *printer) tableLike(l *TableLike) {
	pr.w("LIKE ", formatQName(l.Source))
	if l.Options != nil {
		pr.w(" (")
		for i, o := range l.Options {
			if i > 0 {
				pr.w(" ")
			}
			pr.w(o.Strategy, " ", o.Feature)
		}
		pr.w(")")
	}
}
func (n *CreateView) String() string     { return Format(n) }
func (n *CreateFunction) String() string { return Format(n) }
func (n *Drop) String() string           { return Format(n) }
func (n *Show) String() string           { return Format(n) }
func (n *Describe) String() string       { return Format(n) }
func (n *Explain) String() string        { return Format(n) }
func (n *Use) String() string            { return Format(n) }
func (n *Set) String() string            { return Format(n) }
func (n *Reset) String() string          { return Format(n) }
func (n *Insert) String() string         { return Format(n) }
func (n *PartitionValue) String() string { return Format(n.Column) + " = " + Format(n.Value) }
func (n *StatementSet) String() string   { return Format(n) }
func (n *Query) String() string          { return Format(n) }
func (n *CTE) String() string            { return Format(n.Name) + " AS (" + Format(n.Query) + ")" }
func (n *SetOp) String() string          { return Format(n) }
func (n *Values) String() string         { return Format(n) }
func (n *Select) String() string         { return Format(n) }
func (n *SelectItem) String() string     { return Format(n) }
func (n *Hint) String() string {
	var pr printer
	pr.hint(n)
	return pr.b.String()
}
func (n *NamedWindow) String() string { return Format(n.Name) + " AS " + Format(n.Spec) }
func (n *OrderItem) String() string   { return Format(n) }
func (n *GroupingSet) String() string { return Format(n) }
func (n *Alias) String() string {
	var pr printer
	pr.alias(n)
	return strings.TrimPrefix(pr.b.String(), " AS ")
}
func (n *TableName) String() string      { return Format(n) }
func (n *DerivedTable) String() string   { return Format(n) }
func (n *TableFunc) String() string      { return Format(n) }
func (n *Unnest) String() string         { return Format(n) }
func (n *Join) String() string           { return Format(n) }
func (n *ParenTable) String() string     { return Format(n) }
func (n *MatchRecognize) String() string { return Format(n) }
func (n *Measure) String() string {
	s := Format(n.Expr) + " AS " + Format(n.Alias)
	if n.Semantics != "" {
		s = n.Semantics + " " + s
	}
	return s
}
func (n *AfterMatch) String() string {
	var pr printer
	pr.afterMatch(n)
	return pr.b.String()
}
func (n *Subset) String() string {
	var pr printer
	pr.subset(n)
	return pr.b.String()
}
func (n *Define) String() string       { return Format(n.Var) + " AS " + Format(n.Cond) }
func (n *PatternAlt) String() string   { return Format(n) }
func (n *PatternSeq) String() string   { return Format(n) }
func (n *PatternVar) String() string   { return Format(n) }
func (n *PatternGroup) String() string { return Format(n) }
func (n *PatternQuant) String() string { return Format(n) }
func (n *WindowSpec) String() string   { return Format(n) }
func (n *Frame) String() string {
	var pr printer
	pr.windowSpec(&WindowSpec{Frame: n})
	return strings.TrimSuffix(strings.TrimPrefix(pr.b.String(), "("), ")")
}
func (n *FrameBound) String() string {
	var pr printer
	pr.frameBound(n)
	return pr.b.String()
}
func (n *DataType) String() string     { return Format(n) }
func (n *RowField) String() string     { return Format(n.Name) + " " + Format(n.Type) }
func (n *ColumnRef) String() string    { return Format(n) }
func (n *Star) String() string         { return Format(n) }
func (n *Literal) String() string      { return Format(n) }
func (n *TypedLiteral) String() string { return Format(n) }
func (n *IntervalLit) String() string  { return Format(n) }
func (n *Param) String() string        { return Format(n) }
func (n *Binary) String() string       { return Format(n) }
func (n *Unary) String() string        { return Format(n) }
func (n *IsExpr) String() string       { return Format(n) }
func (n *IsDistinct) String() string   { return Format(n) }
func (n *Between) String() string      { return Format(n) }
func (n *InList) String() string       { return Format(n) }
func (n *InQuery) String() string      { return Format(n) }
func (n *Like) String() string         { return Format(n) }
func (n *Case) String() string         { return Format(n) }
func (n *When) String() string         { return "WHEN " + Format(n.Cond) + " THEN " + Format(n.Result) }
func (n *Cast) String() string         { return Format(n) }
func (n *Extract) String() string      { return Format(n) }
func (n *Position) String() string     { return Format(n) }
func (n *Trim) String() string         { return Format(n) }
func (n *Substring) String() string    { return Format(n) }
func (n *TimeUnit) String() string     { return Format(n) }
func (n *FloorCeil) String() string    { return Format(n) }
func (n *JSONCall) String() string     { return Format(n) }
func (n *JSONBehavior) String() string {
	if n.Default != nil {
		return "DEFAULT " + Format(n.Default)
	}
	return n.Kind
}
func (n *Overlay) String() string     { return Format(n) }
func (n *FuncCall) String() string    { return Format(n) }
func (n *NamedArg) String() string    { return Format(n) }
func (n *TableArg) String() string    { return Format(n) }
func (n *Descriptor) String() string  { return Format(n) }
func (n *Subquery) String() string    { return Format(n) }
func (n *Exists) String() string      { return Format(n) }
func (n *ArrayCtor) String() string   { return Format(n) }
func (n *MapCtor) String() string     { return Format(n) }
func (n *Row) String() string         { return Format(n) }
func (n *Index) String() string       { return Format(n) }
func (n *FieldAccess) String() string { return Format(n) }
