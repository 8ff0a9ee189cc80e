// Package planner turns SQL statements (the syntax tree of
// internal/sql/parser) into jobs: a binder resolves names and types against
// the session's catalog (errors carry line and column), a logical plan of
// relational nodes (Scan, Calc, WindowAgg, GroupAgg, Union, Sink) records
// each node's changelog mode, and Translate builds the job through the
// typed DataStream API (package stream) over table.Row.
package planner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/catalog"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/table"
)

// Planner plans the statements of one session.
type Planner struct {
	Cat       *catalog.Catalog
	Reg       *expr.Registry
	Factories map[string]connector.TableFactory
	b         binder
	// ranks are the row-number bounds (alias -> N) of the enclosing
	// query's WHERE while its FROM subquery is bound.
	ranks map[string]int64
	// ctes are the WITH clauses being bound, innermost last.
	ctes []map[string]*parser.CTE
	// functions are the names CREATE FUNCTION gave (upper case), which
	// DROP FUNCTION may remove.
	functions map[string]bool
	// Parallelism is the default parallelism of the session's jobs (SET
	// 'parallelism.default' overrides it; JobParallelism).
	Parallelism int
}

// New returns a planner over cat with the functions of reg and the
// connectors of factories.
func New(cat *catalog.Catalog, reg *expr.Registry, factories []connector.TableFactory) *Planner {
	p := &Planner{Cat: cat, Reg: reg, Factories: map[string]connector.TableFactory{}, b: binder{reg: reg, udafs: map[string]AggregateFactory{}}}
	for _, f := range factories {
		p.Factories[f.Name()] = f
	}
	registerField(reg)
	registerProctime(reg)
	return p
}

// RegisterAggregate adds a user-defined aggregate function.
func (p *Planner) RegisterAggregate(name string, f AggregateFactory) {
	p.b.udafs[strings.ToUpper(name)] = f
}

// CreateTable binds a CREATE TABLE (computed columns, watermark, connector
// options) and adds the table to the catalog. CREATE TABLE ... LIKE is
// first merged with its source table into a plain CREATE TABLE (like.go),
// which the catalog keeps as the table's definition.
func (p *Planner) CreateTable(ct *parser.CreateTable) error {
	if ct.AsQuery != nil {
		return errAt(ct, "CREATE TABLE ... AS query is not supported yet")
	}
	if len(ct.Name.Parts) > 1 {
		return errAt(ct.Name, "qualified table names (catalog.db.table) are not supported yet")
	}
	var lc *likeCopy
	if ct.Like != nil {
		m, c, err := p.mergeLike(ct)
		if err != nil {
			return err
		}
		ct, lc = m, c
	}
	t := &catalog.Table{Name: ct.Name.Parts[0].Name, Schema: &table.Schema{}, Options: map[string]string{},
		Temporary: ct.Temporary, Def: ct}
	for _, o := range ct.Options {
		if o.Key == "connector" {
			t.Connector = o.Value
			continue
		}
		t.Options[o.Key] = o.Value
	}
	if t.Connector == "" {
		return errAt(ct, "table `%s` has no 'connector' option: add WITH ('connector' = '...')%s", t.Name, p.connectorList())
	}
	f, ok := p.Factories[t.Connector]
	if !ok {
		return errAt(ct, "unknown connector '%s' of table `%s`%s", t.Connector, t.Name, p.connectorList())
	}
	allowed := map[string]bool{}
	var keys []string
	for _, o := range f.Options() {
		allowed[o.Key] = true
		keys = append(keys, o.Key)
	}
	dyn, _ := f.(connector.DynamicOptions)
	for _, o := range ct.Options {
		if o.Key != "connector" && !allowed[o.Key] && (dyn == nil || !dyn.AllowsOption(o.Key)) {
			err := errAt(o, "connector '%s' has no option '%s'; its options are: %s", t.Connector, o.Key, strings.Join(keys, ", "))
			if lc != nil && lc.copied[o] {
				err = errAt(o, "connector '%s' has no option '%s', which LIKE copied from `%s`: add EXCLUDING OPTIONS to the LIKE options and give the table's options in WITH; its options are: %s", t.Connector, o.Key, lc.source, strings.Join(keys, ", "))
			}
			return err
		}
	}
	for _, o := range f.Options() {
		if _, ok := t.Options[o.Key]; !ok && o.Required {
			return errAt(ct, "connector '%s' of table `%s` needs the option '%s' (%s)", t.Connector, t.Name, o.Key, o.Description)
		}
	}
	// Physical columns first: computed ones are bound over them.
	phys := &scope{}
	seen := map[string]bool{}
	for _, c := range ct.Columns {
		if seen[c.Name.Name] {
			return errAt(c, "duplicate column `%s`", c.Name.Name)
		}
		seen[c.Name.Name] = true
		if c.Computed != nil {
			continue
		}
		typ, err := TypeOf(c.Type)
		if err != nil {
			return err
		}
		phys.cols = append(phys.cols, scopeCol{name: c.Name.Name, t: typ})
	}
	for _, c := range ct.Columns {
		col := table.Column{Name: c.Name.Name}
		if c.Comment != nil {
			col.Comment = *c.Comment
		}
		if c.Computed != nil {
			e, err := p.b.bind(c.Computed, phys)
			if err != nil {
				return lc.wrap(c, err)
			}
			col.Type, col.Computed = e.Type(), c.Computed.String()
		} else {
			col.Type, _ = TypeOf(c.Type)
			if c.Metadata {
				col.Metadata = c.Name.Name
				if c.MetadataKey != nil {
					col.Metadata = *c.MetadataKey
				}
				col.Virtual = c.Virtual
			}
		}
		if c.PrimaryKey {
			if col.Computed != "" || col.Metadata != "" {
				return errAt(c, "%s", pkNotPhysical(col.Name))
			}
			t.Schema.PrimaryKey = append(t.Schema.PrimaryKey, col.Name)
		}
		t.Schema.Columns = append(t.Schema.Columns, col)
		t.Computed = append(t.Computed, c.Computed)
	}
	if ct.PrimaryKey != nil {
		for _, c := range ct.PrimaryKey.Columns {
			if t.Schema.Index(c.Name) < 0 {
				return errAt(c, "primary key column `%s` is not a column of `%s`", c.Name, t.Name)
			}
			if col := t.Schema.Columns[t.Schema.Index(c.Name)]; col.Computed != "" || col.Metadata != "" {
				return errAt(c, "%s", pkNotPhysical(c.Name))
			}
			t.Schema.PrimaryKey = append(t.Schema.PrimaryKey, c.Name)
		}
	}
	// Primary key columns are NOT NULL, as in Flink.
	for _, k := range t.Schema.PrimaryKey {
		i := t.Schema.Index(k)
		t.Schema.Columns[i].Type = t.Schema.Columns[i].Type.NotNull()
	}
	if err := checkPartitionBy(ct, t); err != nil { // partition.go
		if len(ct.PartitionBy) > 0 {
			return lc.wrap(ct.PartitionBy[0], err)
		}
		return err
	}
	if len(ct.Watermarks) > 1 {
		return errAt(ct.Watermarks[1], "a table has at most one WATERMARK")
	}
	if len(ct.Watermarks) == 1 {
		if err := p.watermark(t, ct.Watermarks[0]); err != nil {
			return lc.wrap(ct.Watermarks[0], err)
		}
	}
	if _, err := p.Cat.AddTable(t, ct.IfNotExists); err != nil {
		return errAt(ct.Name, "%v", err)
	}
	return nil
}

// pkNotPhysical refuses a primary key on a computed or metadata column,
// as Flink does.
func pkNotPhysical(name string) string {
	return fmt.Sprintf("could not create a PRIMARY KEY with column `%s`: a PRIMARY KEY constraint must be declared on physical columns (`%s` is computed or metadata)", name, name)
}

// watermark checks WATERMARK FOR col AS expr: col - INTERVAL 'n' unit or
// col itself (ascending timestamps).
func (p *Planner) watermark(t *catalog.Table, w *parser.Watermark) error {
	if len(w.Column.Parts) != 1 {
		return errAt(w.Column, "WATERMARK FOR takes a top-level column")
	}
	name := w.Column.Parts[0].Name
	i := t.Schema.Index(name)
	if i < 0 {
		msg := fmt.Sprintf("WATERMARK FOR unknown column `%s`", name)
		if s := catalog.Closest(name, t.Schema.Names()); s != "" {
			msg += fmt.Sprintf("; did you mean `%s`?", s)
		}
		return errAt(w.Column, "%s", msg)
	}
	ct := t.Schema.Columns[i].Type
	if ct.Root() != table.RootTimestamp && ct.Root() != table.RootTimestampLTZ {
		return errAt(w.Column, "the rowtime column `%s` must be TIMESTAMP(3) or TIMESTAMP_LTZ(3), it is %s", name, ct)
	}
	isCol := func(e parser.Expr) bool {
		c, ok := e.(*parser.ColumnRef)
		return ok && len(c.Parts) == 1 && c.Parts[0].Name == name
	}
	switch x := w.Expr.(type) {
	case *parser.ColumnRef:
		if !isCol(x) {
			return errAt(x, "WATERMARK FOR %s AS %s is not supported yet: use %s or %s - INTERVAL 'n' SECOND", name, x, name, name)
		}
	case *parser.Binary:
		il, ok := x.R.(*parser.IntervalLit)
		if x.Op != "-" || !isCol(x.L) || !ok {
			return errAt(x, "WATERMARK FOR %s AS %s is not supported yet: use %s or %s - INTERVAL 'n' SECOND", name, x, name, name)
		}
		d, err := intervalOf(il)
		if err != nil {
			return err
		}
		if d < 0 {
			return errAt(il, "the watermark delay must not be negative")
		}
		t.OutOfOrderness = d
	default:
		return errAt(w.Expr, "WATERMARK FOR %s AS %s is not supported yet: use %s or %s - INTERVAL 'n' SECOND", name, w.Expr, name, name)
	}
	t.Watermark = w
	t.Schema.Rowtime = name
	t.Schema.Watermark = w.Expr.String()
	return nil
}

func (p *Planner) connectorList() string {
	var ns []string
	for n := range p.Factories {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	if len(ns) == 0 {
		return " (no connectors are registered)"
	}
	return "; the connectors are: " + strings.Join(ns, ", ")
}

// CreateView adds a view after checking that its query plans.
func (p *Planner) CreateView(cv *parser.CreateView) error {
	if len(cv.Columns) > 0 {
		return errAt(cv.Columns[0], "column lists of views are not supported yet")
	}
	if _, err := p.bindQuery(cv.Query); err != nil {
		return err
	}
	_, err := p.Cat.AddView(&catalog.View{Name: cv.Name.Parts[len(cv.Name.Parts)-1].Name, Query: cv.Query}, cv.IfNotExists)
	if err != nil {
		return errAt(cv.Name, "%v", err)
	}
	return nil
}

// Query plans a query.
func (p *Planner) Query(q *parser.Query) (Node, error) {
	on, err := p.filterPushDown()
	if err != nil {
		return nil, err
	}
	plan := func(push bool) (Node, error) {
		n, err := p.bindQuery(q)
		if err != nil {
			return nil, err
		}
		if err := p.dedupRanks(n); err != nil { // dedup.go
			return nil, err
		}
		if push {
			p.pushFilters(n) // pushdown.go
		}
		p.prunePartitions(n)
		return n, nil
	}
	n, err := plan(on)
	if err != nil || !on {
		return n, err
	}
	u, err := plan(false)
	if err != nil {
		return nil, err
	}
	if lostSharing([]Node{n}, []Node{u}) {
		return u, nil // pushdown.go: the plan without push-down
	}
	return n, nil
}

// Insert plans INSERT INTO t query: the query's columns cast to the
// table's physical columns. Character strings (and byte strings) go into
// a column of another length unchanged, as Flink's default
// table.exec.sink.type-length-enforcer = IGNORE does.
func (p *Planner) Insert(ins *parser.Insert) (*Sink, error) {
	on, err := p.filterPushDown()
	if err != nil {
		return nil, err
	}
	sk, err := p.insert(ins, on)
	if err != nil || !on {
		return sk, err
	}
	u, err := p.insert(ins, false)
	if err != nil {
		return nil, err
	}
	if lostSharing([]Node{sk.In}, []Node{u.In}) {
		return u, nil // pushdown.go: the plan without push-down
	}
	sk.unpushed = u.In
	return sk, nil
}

// insert plans ins, with filter push-down through joins when push.
func (p *Planner) insert(ins *parser.Insert, push bool) (*Sink, error) {
	if ins.Overwrite {
		return nil, errAt(ins, "INSERT OVERWRITE is not supported in streaming mode")
	}
	if len(ins.Partition) > 0 {
		return nil, errAt(ins.Partition[0], "static partitions are not supported yet")
	}
	name := ins.Table.Parts[len(ins.Table.Parts)-1].Name
	t, ok := p.Cat.Table(name)
	if !ok {
		msg := fmt.Sprintf("unknown table `%s`", name)
		if s := p.Cat.Suggest(name); s != "" {
			msg += fmt.Sprintf("; did you mean `%s`?", s)
		}
		return nil, errAt(ins.Table, "%s", msg)
	}
	q, err := p.bindQuery(ins.Query)
	if err != nil {
		return nil, err
	}
	phys := t.Physical()
	target := phys.Columns
	qc := q.Cols()
	idx := make([]int, len(target)) // target column -> query column, -1: NULL
	if len(ins.Columns) > 0 {
		for i := range idx {
			idx[i] = -1
		}
		if len(ins.Columns) != len(qc) {
			return nil, errAt(ins, "INSERT INTO %s names %d columns but the query gives %d", name, len(ins.Columns), len(qc))
		}
		for j, c := range ins.Columns {
			i := phys.Index(c.Name)
			if i < 0 {
				msg := fmt.Sprintf("table `%s` has no column `%s`", name, c.Name)
				if s := catalog.Closest(c.Name, phys.Names()); s != "" {
					msg += fmt.Sprintf("; did you mean `%s`?", s)
				}
				return nil, errAt(c, "%s", msg)
			}
			idx[i] = j
		}
	} else {
		if len(qc) != len(target) {
			return nil, errAt(ins.Query, "the query gives %d columns but table `%s` has %d (%s)", len(qc), name, len(target), strings.Join(phys.Names(), ", "))
		}
		for i := range idx {
			idx[i] = i
		}
	}
	var es []expr.Expr
	same, castOnly := true, len(qc) == len(target)
	query := q
	for i, c := range target {
		if idx[i] < 0 {
			es = append(es, expr.NullLit(c.Type))
			same, castOnly = false, false
			continue
		}
		q := qc[idx[i]]
		var e expr.Expr = expr.ColumnRef(idx[i], q.Name, q.Type)
		if idx[i] != i {
			same, castOnly = false, false
		}
		sameFamily := (q.Type.IsString() && c.Type.IsString()) || (q.Type.IsBinary() && c.Type.IsBinary())
		if !q.Type.EqualIgnoringNull(c.Type) && !sameFamily {
			if !table.SupportsImplicitCast(q.Type, c.Type) {
				return nil, errAt(ins.Query, "type mismatch: column `%s` of table `%s` is %s but the query gives %s (column %d, `%s`); CAST it", c.Name, name, c.Type, q.Type, idx[i]+1, q.Name)
			}
			ce, err := expr.NewCast(e, c.Type, false)
			if err != nil {
				return nil, wrapAt(ins.Query, err)
			}
			e, same = ce, false
			// A cast main's build before branch sqltypes made too (a
			// declared FLOAT or a MAX of one into a DOUBLE column; not a
			// FLOAT sum, DOUBLE then): its Calc kept a sql-<n> number
			// there, so it does here (oldtypes.go).
			if !oldType(query, idx[i]).EqualIgnoringNull(c.Type) {
				castOnly = false
			}
		}
		es = append(es, e)
	}
	var in Node = q
	if !same {
		cols := make([]Col, len(target))
		for i, c := range target {
			cols[i] = Col{Name: c.Name, Type: c.Type}
		}
		// Only casts (and the order and NULLs of an INSERT's column
		// list) when a column needs a CAST: see Calc.implicit.
		in = &Calc{In: q, Exprs: es, cols: cols, implicit: castOnly}
	}
	sk := &Sink{In: in, Table: t, Pos: ins.Pos()}
	if err := p.dedupRanks(sk); err != nil { // dedup.go
		return nil, err
	}
	if push {
		p.pushFilters(sk) // pushdown.go
	}
	p.prunePartitions(sk)
	if sk.Dist, err = p.distribute(sk, p.inputParallelism(sk)); err != nil { // sinkpar.go
		return nil, err
	}
	if sk.Materialize, err = p.materializeKeys(sk); err != nil { // sinkmat.go
		return nil, err
	}
	return sk, nil
}

// CheckSink asks the sink's factory whether it takes the plan's changelog
// (an append-only sink refuses an updating plan) and returns the sink.
// checkpointInterval and restartTime are the job's (connector.TableContext;
// 0: none), against which a transactional sink checks its timeout.
func (p *Planner) CheckSink(ctx context.Context, s *Sink, checkpointInterval, restartTime time.Duration) (connector.Sink[table.Row], error) {
	f, ok := p.Factories[s.Table.Connector].(connector.TableSinkFactory)
	if !ok {
		return nil, &Error{Line: s.Pos.Line, Col: s.Pos.Col, Msg: fmt.Sprintf("connector '%s' of table `%s` cannot be written (it is a source only)", s.Table.Connector, s.Table.Name)}
	}
	sink, err := f.TableSink(ctx, connector.TableContext{Name: s.Table.Name, Schema: *s.Table.Physical(), Options: s.Table.Options, PartitionKeys: partitionKeys(s.Table),
		CheckpointInterval: checkpointInterval, RestartTime: restartTime}, s.Updating())
	if err != nil {
		msg := connText(s.Table, err)
		if s.Updating() {
			msg = fmt.Sprintf("table `%s` (connector '%s') cannot take the updating changelog of this query (%s makes it updating): %s", s.Table.Name, s.Table.Connector, updater(s), connReason(s.Table, err))
		}
		return nil, &Error{Line: s.Pos.Line, Col: s.Pos.Col, Msg: msg}
	}
	return sink, nil
}

// updater names the node that makes a plan updating.
func updater(n Node) string {
	for _, in := range n.Inputs() {
		if in.Updating() {
			return updater(in)
		}
	}
	switch x := n.(type) {
	case *GroupAgg:
		return "GroupAggregate(" + groupText(x) + ")"
	case *TopN:
		return fmt.Sprintf("Rank(rankRange=[1..%d], partitionBy=[%s])", x.N, keysText(x.In, x.Partition))
	case explainer:
		return x.explain() + ")"
	}
	return fmt.Sprintf("%T", n)
}

// CreateTableAs binds CREATE [OR REPLACE] TABLE name WITH (...) AS query
// (Flink's CTAS and RTAS): the table is created with the query's columns
// (names and types; an event-time attribute becomes a plain TIMESTAMP) and
// the WITH options, replacing a table of that name for OR REPLACE (the
// query is planned before, over the old one), and the INSERT INTO name
// query that fills it is returned, planned already. When the query cannot
// be written to the table the catalog is put back as it was and the error
// returned; undo does the same for a later failure (the job cannot be
// built).
func (p *Planner) CreateTableAs(ct *parser.CreateTable) (ins *parser.Insert, sk *Sink, undo func() error, err error) {
	switch {
	case len(ct.Columns) > 0 || len(ct.Watermarks) > 0 || ct.PrimaryKey != nil:
		return nil, nil, nil, errAt(ct, "CREATE TABLE ... AS takes its columns from the query: column definitions, WATERMARK and PRIMARY KEY are not supported with AS yet (create the table, then INSERT INTO it)")
	case len(ct.Name.Parts) > 1:
		return nil, nil, nil, errAt(ct.Name, "qualified table names (catalog.db.table) are not supported yet")
	}
	name := ct.Name.Parts[0].Name
	old, exists := p.Cat.Table(name)
	if exists && !ct.OrReplace {
		return nil, nil, nil, errAt(ct.Name, "table `%s` already exists (CREATE TABLE ... AS creates its table: use INSERT INTO to write to an existing one, or CREATE OR REPLACE TABLE ... AS)", name)
	}
	n, err := p.bindQuery(ct.AsQuery)
	if err != nil {
		return nil, nil, nil, err
	}
	def := *ct
	def.AsQuery = nil
	def.IfNotExists = false
	def.OrReplace = false
	seen := map[string]bool{}
	for _, c := range n.Cols() {
		if seen[c.Name] {
			return nil, nil, nil, errAt(ct.AsQuery, "the query has two columns named `%s`: name them apart with AS for the table's columns", c.Name)
		}
		seen[c.Name] = true
		t := c.Type.WithTimeAttr(table.NoTimeAttr)
		dt, err := parser.ParseType(t.String())
		if err != nil {
			return nil, nil, nil, errAt(ct.AsQuery, "column `%s`: its type %s cannot be a table column yet", c.Name, t)
		}
		def.Columns = append(def.Columns, &parser.ColumnDef{Name: &parser.Ident{Name: c.Name, Quoted: true}, Type: dt})
	}
	undo = func() error {
		if err := p.Cat.Drop("TABLE", name, true); err != nil {
			return err
		}
		if exists {
			_, err := p.Cat.AddTable(old, false)
			return err
		}
		return nil
	}
	fail := func(err error) (*parser.Insert, *Sink, func() error, error) {
		if uerr := undo(); uerr != nil {
			return nil, nil, nil, fmt.Errorf("%w (and putting the catalog back: %v)", err, uerr)
		}
		return nil, nil, nil, err
	}
	if exists {
		if err := p.Cat.Drop("TABLE", name, false); err != nil {
			return nil, nil, nil, errAt(ct.Name, "%v", err)
		}
	}
	if err := p.CreateTable(&def); err != nil {
		return fail(err)
	}
	ins = &parser.Insert{Table: ct.Name, Query: ct.AsQuery}
	ins.At = ct.At
	if sk, err = p.Insert(ins); err != nil {
		return fail(err)
	}
	return ins, sk, undo, nil
}
