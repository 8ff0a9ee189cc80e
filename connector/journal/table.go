package journal

import (
	"context"
	"fmt"
	"strings"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
	jl "github.com/stromio/strom/journal"
	"github.com/stromio/strom/table"
)

// TableConnector is the 'journal' connector of SQL tables: a source and a
// sink of rows on a topic of the embedded journal, whose values are in a
// row format of package format. The journal is opened (and closed, after
// the jobs) by the application, which constructs the factory with it.
//
// Rows have one field per column of the table's schema: the physical
// columns are the value's; METADATA columns 'partition' (INT), 'offset'
// (BIGINT), 'timestamp' (TIMESTAMP_LTZ(3) or TIMESTAMP(3)) and 'key'
// (BYTES) are the record's; a sink writes 'timestamp' and 'key' when they
// are not VIRTUAL ('partition' and 'offset' are read-only; a written key
// chooses the partition, journal.PartitionFor, else batches go round
// robin). A record that
// does not decode is handled by 'on-error' (fail, skip, dlq: the source's
// dead-letter output, classes of package format). The topic must exist.
type TableConnector struct{ j *jl.Journal }

// TableFactory returns the 'journal' connector of SQL tables on j.
func TableFactory(j *jl.Journal) *TableConnector { return &TableConnector{j: j} }

var (
	_ connector.TableSourceFactory = (*TableConnector)(nil)
	_ connector.TableSinkFactory   = (*TableConnector)(nil)
)

// The option keys of the 'journal' connector.
const (
	OptTopic                 = "topic"
	OptFormat                = "format"
	OptStartupMode           = "scan.startup.mode"
	OptGroupID               = "group.id"
	OptCommitOffsets         = "scan.commit-offsets"
	OptBoundedMode           = "scan.bounded.mode"
	OptIsolationLevel        = "scan.isolation-level"
	OptDeliveryGuarantee     = "sink.delivery-guarantee"
	OptTransactionalIDPrefix = "sink.transactional-id-prefix"
	OptTransactionTimeout    = "sink.transaction-timeout"
	OptOnError               = "on-error"
)

// Name returns "journal".
func (*TableConnector) Name() string { return "journal" }

// Options lists the option keys of the connector.
func (*TableConnector) Options() []connector.TableOption {
	return append([]connector.TableOption{
		{Key: OptTopic, Required: true, Description: "the journal topic (it must exist)"},
		{Key: OptFormat, Required: true, Description: "the value format: 'json', 'csv', 'raw' or 'avro'; 'json' carries \"op\" in an updating sink"},
		{Key: OptStartupMode, Default: "earliest-offset", Description: "source: 'earliest-offset', 'latest-offset' or 'group-offsets' (of 'group.id'; earliest where the group has none)"},
		{Key: OptGroupID, Description: "the consumer group of 'group-offsets' and 'scan.commit-offsets'"},
		{Key: OptCommitOffsets, Default: "false", Description: "source: 'true' commits each completed checkpoint's offsets to 'group.id', for lag monitoring"},
		{Key: OptBoundedMode, Default: "unbounded", Description: "source: 'unbounded' (tail the partitions) or 'latest-offset' (end at the offsets when the job starts)"},
		{Key: OptIsolationLevel, Default: "read_committed", Description: "source: 'read_committed' or 'read_uncommitted'"},
		{Key: OptDeliveryGuarantee, Default: "exactly-once", Description: "sink: 'exactly-once' (journal transactions committed with checkpoints) or 'at-least-once'"},
		{Key: OptTransactionalIDPrefix, Description: "sink: the prefix of the transactional names (default 'sql-' and the table name); unique per job and sink"},
		{Key: OptTransactionTimeout, Default: "15 min", Description: "sink: the journal's timeout of the 'exactly-once' transactions; more than the checkpoint interval plus a restart delay"},
		{Key: OptOnError, Default: "fail", Description: "source: a record that does not decode: 'fail' the job, 'skip' it, or 'dlq' (to the source's dead-letter output)"},
		connector.SinkParallelismOption(),
	}, format.RowFormatOptions("")...)
}

var metaKinds = map[string]struct {
	kind     table.Kind
	writable bool
}{
	"partition": {table.KindInt, false},
	"offset":    {table.KindInt, false},
	"timestamp": {table.KindTimestamp, true},
	"key":       {table.KindBytes, true},
}

type metaCol struct {
	idx int
	key string
}

type layout struct {
	n    int
	phys []int
	f    format.Format[table.Row]
	meta []metaCol
}

func (c *TableConnector) config(t connector.TableContext, sink, updating bool) (*connector.TableOptions, *layout, error) {
	o, err := connector.CheckTableOptions(c, t)
	if err != nil {
		return nil, nil, err
	}
	if c.j == nil {
		return nil, nil, o.Errorf("no journal: the application did not open one")
	}
	if err := o.NoPartitions(t); err != nil {
		return nil, nil, err
	}
	l := &layout{n: len(t.Schema.Columns)}
	var phys table.Schema
	for i, col := range t.Schema.Columns {
		switch {
		case col.Metadata != "":
			mk, ok := metaKinds[col.Metadata]
			if !ok {
				return nil, nil, o.Errorf("column %q: unknown metadata key '%s' (the journal connector has 'key', 'offset', 'partition', 'timestamp')", col.Name, col.Metadata)
			}
			if table.KindOf(col.Type) != mk.kind {
				return nil, nil, o.Errorf("column %q: metadata '%s' has the wrong type %s", col.Name, col.Metadata, col.Type)
			}
			if sink && !col.Virtual && !mk.writable {
				return nil, nil, o.Errorf("column %q: metadata '%s' is read-only: declare it VIRTUAL", col.Name, col.Metadata)
			}
			l.meta = append(l.meta, metaCol{i, col.Metadata})
		case col.IsPhysical():
			l.phys = append(l.phys, i)
			phys.Columns = append(phys.Columns, col)
		}
	}
	name, err := o.Enum(OptFormat, format.RowFormatJSON, format.RowFormatCSV, format.RowFormatRaw, format.RowFormatAvro)
	if err != nil {
		return nil, nil, err
	}
	if l.f, err = format.NewRowFormat(name, phys, o, "", updating); err != nil {
		return nil, nil, err
	}
	return o, l, nil
}

func (l *layout) decode(m *jl.Message) (table.Row, error) {
	v, err := l.f.Decode(m.Value)
	if err != nil {
		return table.Row{}, err
	}
	fs := make([]table.Value, l.n)
	for i, j := range l.phys {
		fs[j] = v.Fields[i]
	}
	for _, mc := range l.meta {
		switch mc.key {
		case "partition":
			fs[mc.idx] = table.Int(int64(m.Partition))
		case "offset":
			fs[mc.idx] = table.Int(m.Offset)
		case "timestamp":
			fs[mc.idx] = table.TimestampMillis(m.Timestamp)
		case "key":
			if m.Key != nil {
				fs[mc.idx] = table.Bytes(m.Key)
			}
		}
	}
	return table.Row{Kind: v.Kind, Fields: fs}, nil
}

func (l *layout) encode(r table.Row) (jl.Record, error) {
	if len(r.Fields) != l.n {
		return jl.Record{}, fmt.Errorf("row has %d fields, the table %d columns", len(r.Fields), l.n)
	}
	fs := make([]table.Value, len(l.phys))
	for i, j := range l.phys {
		fs[i] = r.Fields[j]
	}
	b, err := l.f.Encode(table.Row{Kind: r.Kind, Fields: fs}, nil)
	if err != nil {
		return jl.Record{}, err
	}
	rec := jl.Record{Value: b}
	for _, mc := range l.meta {
		v := r.Fields[mc.idx]
		if v.IsNull() {
			continue
		}
		switch mc.key {
		case "timestamp":
			rec.Timestamp, _ = v.AsTimestamp()
		case "key":
			rec.Key = v.AsBytes()
		}
	}
	return rec, nil
}

// TableSource returns a journal source of the table's rows.
func (c *TableConnector) TableSource(_ context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	o, l, err := c.config(t, false, false)
	if err != nil {
		return nil, err
	}
	so := SourceOptions[table.Row]{Topic: o.Get(OptTopic), Decode: l.decode}
	mode, err := o.Enum(OptStartupMode, "earliest-offset", "latest-offset", "group-offsets")
	if err != nil {
		return nil, err
	}
	switch mode {
	case "latest-offset":
		so.StartAt = StartAt{Kind: Latest}
	case "group-offsets":
		if !o.Has(OptGroupID) {
			return nil, o.Errorf("'scan.startup.mode' = 'group-offsets' needs 'group.id'")
		}
		so.StartAt = StartAt{Kind: Committed, Group: o.Get(OptGroupID)}
	}
	commit, err := o.Enum(OptCommitOffsets, "true", "false")
	if err != nil {
		return nil, err
	}
	if commit == "true" {
		if !o.Has(OptGroupID) {
			return nil, o.Errorf("'scan.commit-offsets' needs 'group.id'")
		}
		so.CommitGroup = o.Get(OptGroupID)
	}
	bounded, err := o.Enum(OptBoundedMode, "unbounded", "latest-offset")
	if err != nil {
		return nil, err
	}
	so.Bounded = bounded == "latest-offset"
	iso, err := o.Enum(OptIsolationLevel, "read_committed", "read_uncommitted")
	if err != nil {
		return nil, err
	}
	so.Uncommitted = iso == "read_uncommitted"
	onErr, err := o.Enum(OptOnError, "fail", "skip", "dlq")
	if err != nil {
		return nil, err
	}
	so.OnError, _ = connector.ParseOnError(onErr)
	s, err := NewSource(c.j, so)
	if err != nil {
		return nil, o.Errorf("%v", err)
	}
	return s, nil
}

// TableSink returns a journal sink of the table's rows (exactly-once by
// default). In exactly-once mode it refuses a 'sink.transaction-timeout'
// not larger than the job's checkpoint interval plus its restart delay
// (t.CheckpointInterval, t.RestartTime).
func (c *TableConnector) TableSink(_ context.Context, t connector.TableContext, updating bool) (connector.Sink[table.Row], error) {
	o, l, err := c.config(t, true, updating)
	if err != nil {
		return nil, err
	}
	if _, err := connector.SinkParallelism(t.Options); err != nil {
		return nil, o.Errorf("%v", err)
	}
	g, err := o.Enum(OptDeliveryGuarantee, "exactly-once", "at-least-once")
	if err != nil {
		return nil, err
	}
	prefix := o.Get(OptTransactionalIDPrefix)
	if prefix == "" {
		prefix = "sql-" + strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
				return r
			}
			return '_'
		}, t.Name)
	}
	timeout, err := o.Duration(OptTransactionTimeout)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		return nil, o.Errorf("option '%s' is '%s', want a positive duration such as '15 min'", OptTransactionTimeout, o.Get(OptTransactionTimeout))
	}
	if g == "exactly-once" {
		if err := o.CheckTransactionTimeout(t, timeout, OptTransactionTimeout); err != nil {
			return nil, err
		}
	}
	s, err := NewSink(c.j, SinkOptions[table.Row]{
		Topic:              o.Get(OptTopic),
		Encode:             l.encode,
		Prefix:             prefix,
		AtLeastOnce:        g == "at-least-once",
		TransactionTimeout: timeout,
		CheckpointInterval: t.CheckpointInterval,
		RestartTime:        t.RestartTime,
	})
	if err != nil {
		return nil, o.Errorf("%v", err)
	}
	return s, nil
}
