package connector

import (
	"context"
	"time"

	"github.com/stromio/strom/table"
)

// TableFactory builds the sources and sinks of SQL tables:
// `CREATE TABLE t (...) WITH ('connector' = '<Name>', ...)`. The SQL layer
// never imports a concrete connector; it looks factories up by name in the
// registry its session was given (streamsql), which the binary fills with
// the built-in connectors.
//
// Options are the WITH clause without 'connector'. A factory accepts only
// the option keys it lists (OptionKeys) and rejects any other with an
// error naming the key and the allowed ones (RELIABILITY.md S8: no option
// may name a class, plugin, or a path or URL outside what the factory
// allows).
type TableFactory interface {
	// Name is the value of the 'connector' option.
	Name() string
	// Options lists the option keys the factory accepts.
	Options() []TableOption
}

// TableOption documents one option key of a TableFactory.
type TableOption struct {
	Key         string
	Required    bool
	Default     string
	Description string
}

// TableContext is what a factory knows about the table it builds.
type TableContext struct {
	// Name is the table's name in the catalog (for messages).
	Name string
	// Schema is the physical schema: computed columns are evaluated by
	// the SQL layer, metadata columns are the connector's (Column.Metadata).
	Schema table.Schema
	// Options are the WITH options, 'connector' removed.
	Options map[string]string
	// PartitionKeys are the columns of PARTITIONED BY (...), nil for none.
	// A factory that cannot partition rejects them.
	PartitionKeys []string
	// PartitionFilter, when not nil, is the query's filter over the
	// partition columns, for a PartitionPruningTableSource (sources only).
	PartitionFilter PartitionFilter
	// CheckpointInterval is the interval of the job's checkpoints, 0 when
	// the job takes none (or the caller does not know it); RestartTime is
	// the longest delay of its restart strategy before a restart, 0
	// without one. A transactional sink checks its transaction timeout
	// against their sum (CheckTransactionTimeout): a transaction stays
	// open from its first record until the checkpoint after it commits it.
	CheckpointInterval, RestartTime time.Duration
	// Parallelism is the number of subtasks of the source operator that
	// reads the table (sources only): the table's 'scan.parallelism' when
	// its factory takes that option (ScanParallelismOption) and it is
	// given, the job's default parallelism otherwise; 0 when the caller
	// does not know it.
	Parallelism int
	// NowMillis reads the job's processing-time clock in epoch
	// milliseconds (a manual clock in tests); nil when the caller has
	// none, then a source that needs the time reads the wall clock.
	NowMillis func() int64
	// Location is the session time zone ('table.local-time-zone'), for a
	// source that makes TIMESTAMP values from the time; nil is UTC.
	Location *time.Location
	// Computed are the table's computed columns (Column.Computed set),
	// which Schema leaves out: for the messages of a factory that takes
	// per-column options (a computed column's is an error that says so).
	Computed []table.Column
}

// TableSourceFactory is a TableFactory that can read a table. Rows have
// Kind table.Insert unless the factory documents a changelog format.
type TableSourceFactory interface {
	TableFactory
	TableSource(ctx context.Context, t TableContext) (Source[table.Row], error)
}

// TableSinkFactory is a TableFactory that can write a table.
type TableSinkFactory interface {
	TableFactory
	// TableSink returns the sink. Updating says whether the query writes
	// updates (rows of kind -U/+U/-D); a sink that can only append returns
	// an error for it, which the planner reports at plan time.
	TableSink(ctx context.Context, t TableContext, updating bool) (Sink[table.Row], error)
}

// DynamicOptions is an optional interface of a TableFactory that takes
// option keys beyond the fixed ones it lists in Options (datagen's
// 'fields.<column>.<option>', listed there as 'fields.#.<option>'): the
// SQL layer accepts a key when AllowsOption does, and the factory checks
// the rest (that the column exists, the values) when it builds the table.
type DynamicOptions interface {
	AllowsOption(key string) bool
}
