package connector

import (
	"context"

	"github.com/stromio/strom/table"
)

// ProjectableTableSource is an optional interface of a TableSourceFactory
// that can produce only the columns, or the fields of ROW columns, a query
// reads (Flink's SupportsProjectionPushDown with nested fields): the SQL
// planner asks for them instead of the whole physical row.
//
// Each element of fields is a path: fields[i][0] is a column index of
// t.Schema (a physical or metadata column), and fields[i][1:], when
// present, are field indexes into the nested ROW types. A source row then
// has exactly len(fields) fields, field i the value at path i (NULL when a
// ROW on the way is NULL). Paths may repeat. Everything else (options,
// errors, row kinds, timestamps) is as for TableSource, plus one rule: the
// fields of every row read are the row's own, never read or handed out
// again by the source (not kept for a replay): the SQL layer writes its
// projections into them. A reader that is a RecordReuser and was told to
// reuse builds the next Read's rows in them: they are the caller's until
// then.
type ProjectableTableSource interface {
	ProjectedTableSource(ctx context.Context, t TableContext, fields [][]int) (Source[table.Row], error)
}

// ReaderTimeTableSource is an optional interface of a
// ProjectableTableSource whose readers are Timestamped
// (connector.Timestamped) with a time that the table's schema can compute
// from a row: ReaderTime describes that computation over the columns of
// t.Schema (ok false when the schema cannot express it). The SQL planner
// then takes a projected source's timestamps from its readers, instead of
// evaluating the table's rowtime per row, when the rowtime is exactly that
// computation, and does not project the fields it reads.
type ReaderTimeTableSource interface {
	ReaderTime(t TableContext) (rt ReaderTime, ok bool)
}

// ReaderTime is a row's time as its reader gives it: the TIMESTAMP field
// at path Paths[i] (as in ProjectableTableSource) when the row's integer
// column Tag equals Tags[i] (the first i that matches), else the one at
// path Else; that is, the SQL
//
//	CASE WHEN tag = Tags[0] THEN Paths[0] ... ELSE Else END
//
// The source promises that for every row its readers give this value is
// never NULL and is the reader's timestamp, in milliseconds.
type ReaderTime struct {
	Tag   int
	Tags  []int64
	Paths [][]int
	Else  []int
}

// UniqueKeyTableSource is an optional interface of a TableSourceFactory
// whose rows are insert-only and carry keys the source guarantees to be
// unique (the Nexmark generator's auction and person ids): UniqueKeys
// lists them over the columns of t.Schema. The SQL planner derives from
// them, through filters and projections, that a join input has at most
// one row per join key, ever, and then keeps no rows of the join's other
// side once that row has come (DESIGN.md §7). A key listed here that does
// not hold makes such joins lose pairs: list only what the source
// guarantees for every run, every split and every restore.
type UniqueKeyTableSource interface {
	UniqueKeys(t TableContext) []UniqueKey
}

// UniqueKey is a set of values no two rows of the table share: the values
// at Paths (each a path as in ProjectableTableSource: a column index of
// t.Schema, then field indexes into ROW types), two NULLs counting as
// equal. When Tag >= 0 the key holds only among the rows whose integer
// column Tag equals TagValue (a tagged union such as Nexmark's event_type);
// Tag < 0: among all rows.
type UniqueKey struct {
	Paths    [][]int
	Tag      int
	TagValue int64
}
