package planner

import (
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/sql/catalog"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
	"github.com/stromio/strom/table"
)

// Col is one column of a node's output.
type Col struct {
	Name string
	Type table.Type
	// Win marks window_start, window_end and window_time of a window
	// relation (kept through column references: renames, views).
	Win winAttr
}

// Node is a node of the logical plan. Every node consumes and produces
// table.Row with a Kind; Updating says whether its output has -U/+U/-D rows.
type Node interface {
	Cols() []Col
	Updating() bool
	Inputs() []Node
}

// Scan reads a catalog table through its connector: the physical columns.
// Rowtime, when set, is the event time of a row (the table's WATERMARK
// column, evaluated over the physical row) and OutOfOrderness the bound of
// the watermark.
type Scan struct {
	Table          *catalog.Table
	Rowtime        expr.Expr // over the physical columns; nil without WATERMARK
	OutOfOrderness time.Duration
	// Changelog: the connector produces -U/+U/-D rows (ChangelogSource).
	Changelog bool
	// PartFilter: the conjuncts of the filters above the scan that read
	// only partition columns, over the scan's columns, for a source that
	// prunes partitions (partprune.go); nil for none.
	PartFilter []expr.Expr
	cols       []Col
	// uniq: the unique keys of the scan's rows (uniquekey.go): the
	// table's primary key and the connector's (UniqueKeyTableSource).
	uniq []ukey
}

// ChangelogSource is an optional interface of a connector.TableSourceFactory
// whose rows may be updates (a changelog format such as debezium-json or
// an 'op' field): the planner then treats the scan as updating.
type ChangelogSource interface {
	ProducesUpdates(t connector.TableContext) bool
}

// Calc filters (Filter, may be nil) and then projects (Exprs) each row;
// the row kind passes through.
type Calc struct {
	In     Node
	Filter expr.Expr
	Exprs  []expr.Expr
	cols   []Col
	// pushed: added below a join by filter push-down (pushdown.go); its
	// operator, when it fuses with no other Calc, has a UID of its own
	// namespace.
	pushed bool
	// implicit: only implicit casts (of a sink's columns, of join keys
	// to their common type; keycast.go), which plans whose types needed
	// none did not have: like a pushed Calc, its operator takes a UID of
	// its own namespace (sql-cast-<n>-calc), so the others keep theirs.
	implicit bool
	// movedUID: push-down moved conjuncts of its filter into the join
	// below; it keeps its UID's number even when it no longer makes an
	// operator.
	movedUID bool
	// rankExprs: dedupTrim trimmed this ranking pre-projection; these are
	// its expressions before (the Rank plan's, main's build): its
	// operator takes the numbers the Rank plan's Calcs took (calc.go,
	// rankPlanOps), so the later operators keep theirs.
	rankExprs []expr.Expr
	// unionCast: it only casts a UNION ALL input to the union's column
	// types (oldType looks through it); unionOld are the types main's
	// build before branch sqltypes gave them (oldtypes.go).
	unionCast bool
	unionOld  []table.Type
}

// AggCall is one aggregate call of an aggregation: Args are input column
// indexes (none for COUNT(*)).
type AggCall struct {
	F    expr.AggregateFunc
	Args []int
	// Filter is the input column of FILTER (WHERE ...), -1 for none: rows
	// for which it is not TRUE are neither added nor retracted.
	Filter int
	Text   string // as written, for EXPLAIN
}

// WindowAgg is a window TVF aggregation (TUMBLE, HOP): per key and window,
// one insert-only row when the watermark passes the window's end. Output:
// the keys, window_start, window_end, window_time, the aggregates.
type WindowAgg struct {
	In          Node
	Kind        string        // TUMBLE, HOP, CUMULATE
	Size, Slide time.Duration // Slide: HOP's slide, CUMULATE's step
	Offset      time.Duration // window starts shifted by Offset, in [0, Slide) (CUMULATE: [0, Size))
	TimeCol     string
	Keys        []int
	Aggs        []AggCall
	cols        []Col
	// Proctime: processing-time windows, fired by processing-time timers.
	Proctime bool
	// Zone is the shift time zone of windows over a TIMESTAMP_LTZ
	// attribute (winzone.go), nil for none.
	Zone *windowZone
}

// GroupAgg is a regular GROUP BY aggregation over keyed state: an updating
// changelog (+I the first result of a key, -U/+U when it changes, -D when
// the last row of a key is retracted). Output: the keys, the aggregates.
type GroupAgg struct {
	In   Node
	Keys []int
	Aggs []AggCall
	cols []Col
	// MiniBatch: the session's mini-batch options when they are on
	// (groupagg_batch.go); the zero value runs the per-row operator.
	MiniBatch miniBatch
}

// Union is UNION ALL.
type Union struct {
	Ins  []Node
	cols []Col
}

// Sink writes its input into a catalog table.
type Sink struct {
	In    Node
	Table *catalog.Table
	Pos   parser.Pos
	// Dist: the table's 'sink.parallelism' and how rows reach it
	// (sinkpar.go), as planned; Translate decides again on the input it
	// built.
	Dist sinkDist
	// Materialize: the input columns of the table's primary key when a
	// SinkMaterializer keeps each key's changes in order before the sink
	// (sinkmat.go), as planned; Translate decides again. nil: none.
	Materialize []int
	// unpushed: In planned without filter push-down through joins
	// (nil when In is), for KeepSharedJoins.
	unpushed Node
}

func (n *Scan) Cols() []Col      { return n.cols }
func (n *Calc) Cols() []Col      { return n.cols }
func (n *WindowAgg) Cols() []Col { return n.cols }
func (n *GroupAgg) Cols() []Col  { return n.cols }
func (n *Union) Cols() []Col     { return n.cols }
func (n *Sink) Cols() []Col      { return n.In.Cols() }

func (n *Scan) Updating() bool      { return n.Changelog }
func (n *Calc) Updating() bool      { return n.In.Updating() }
func (n *WindowAgg) Updating() bool { return false }
func (n *GroupAgg) Updating() bool  { return true }
func (n *Union) Updating() bool {
	for _, in := range n.Ins {
		if in.Updating() {
			return true
		}
	}
	return false
}
func (n *Sink) Updating() bool { return n.In.Updating() }

func (n *Scan) Inputs() []Node      { return nil }
func (n *Calc) Inputs() []Node      { return []Node{n.In} }
func (n *WindowAgg) Inputs() []Node { return []Node{n.In} }
func (n *GroupAgg) Inputs() []Node  { return []Node{n.In} }
func (n *Union) Inputs() []Node     { return n.Ins }
func (n *Sink) Inputs() []Node      { return []Node{n.In} }

// schemaOf returns the columns as a schema.
func schemaOf(cols []Col) *table.Schema {
	s := &table.Schema{}
	for _, c := range cols {
		s.Columns = append(s.Columns, table.Column{Name: c.Name, Type: c.Type})
	}
	return s
}
