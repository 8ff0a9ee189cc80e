package connector

import "github.com/stromio/strom/table"

// PartitionFilter is the part of a query's filter that reads only the
// partition columns of a table PARTITIONED BY (TableContext.PartitionKeys),
// handed to a source that can skip whole partitions (partition pruning,
// Flink's SupportsPartitionPushDown). It is an optimisation only: the
// query still filters every row it reads.
type PartitionFilter interface {
	// Keep reports whether a partition whose first len(vals) partition
	// columns (in PARTITIONED BY order; NULL for a NULL partition) have
	// the values vals may hold a row that passes the filter. false means
	// that no row of it can: the filter is FALSE or NULL (SQL's WHERE) for
	// every value of the other columns, and the source need not list or
	// open anything under it. It must not keep vals. Safe for concurrent
	// use.
	Keep(vals []table.Value) bool
}

// PartitionPruningTableSource is an optional interface of a
// TableSourceFactory that skips the partitions TableContext.PartitionFilter
// rejects: the SQL planner hands it the filter and EXPLAIN shows it.
type PartitionPruningTableSource interface {
	// PrunesPartitions reports whether the table's source prunes by
	// TableContext.PartitionFilter (false: the planner passes none).
	PrunesPartitions(t TableContext) bool
}
