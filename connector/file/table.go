package file

import (
	"context"
	"slices"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
	"github.com/stromio/strom/table"
)

// TableConnector is the 'file' connector of SQL tables
// (`WITH ('connector' = 'file', 'path' = ..., 'format' = 'json')`, Flink's
// 'filesystem'): a bounded source of the files under 'path' and an
// exactly-once sink into the directory 'path' through TransactionalSink.
//
// Rows have one field per column of the table's schema: the format reads
// and writes the physical columns; computed columns are NULL in source rows
// (the SQL layer computes them) and ignored by the sink. The connector has
// no metadata columns.
//
// Paths are taken as given (relative to the working directory): a SQL
// script run from the command line may read and write where its user can.
// A server that runs SQL from untrusted users must not offer this factory
// (RELIABILITY.md S8).
type TableConnector struct{}

// TableFactory returns the 'file' connector of SQL tables.
func TableFactory() *TableConnector { return &TableConnector{} }

var (
	_ connector.TableSourceFactory = (*TableConnector)(nil)
	_ connector.TableSinkFactory   = (*TableConnector)(nil)
)

// The option keys of the 'file' connector.
const (
	OptPath                    = "path"
	OptFormat                  = "format"
	OptOnError                 = "on-error"
	OptMonitorInterval         = "source.monitor-interval"
	OptRollFileSize            = "sink.rolling-policy.file-size"
	OptRollRolloverInterval    = "sink.rolling-policy.rollover-interval"
	OptRollInactivityInterval  = "sink.rolling-policy.inactivity-interval"
	OptSinkPartPrefix          = "sink.part-prefix"
	OptSourceMaxRecordByteSize = "source.max-record-size"
)

// Name returns "file".
func (*TableConnector) Name() string { return "file" }

// Options lists the option keys of the connector.
func (*TableConnector) Options() []connector.TableOption {
	return append([]connector.TableOption{
		{Key: OptPath, Required: true, Description: "source: a file, a directory (its files not starting with '.' or '_') or a glob pattern; sink: the output directory (created if missing)"},
		{Key: OptFormat, Required: true, Description: "'json' (JSON lines; a sink of an updating query writes the row kind as \"op\") or 'csv' (columns by position, no header)"},
		{Key: OptOnError, Default: "fail", Description: "source: what a line that does not parse does: 'fail' the job or 'skip' it"},
		{Key: OptMonitorInterval, Description: "source: makes the source unbounded, tailing its files for appended lines (any duration; files are polled as the engine reads)"},
		{Key: OptSourceMaxRecordByteSize, Default: "1mb", Description: "source: the longest line (record) read; longer ones are bad lines"},
		{Key: OptRollFileSize, Default: "128mb", Description: "sink: a part file is closed once it holds this many bytes"},
		{Key: OptRollRolloverInterval, Description: "sink: a part file is closed after it has been open this long (processing time; default: only at checkpoints)"},
		{Key: OptRollInactivityInterval, Description: "sink: a part file is closed when it received no row for this long (processing time)"},
		{Key: OptSinkPartPrefix, Default: "part", Description: "sink: the prefix of part file names (<prefix>-<subtask>-<checkpoint>-<n>.<ext>)"},
	}, format.RowFormatOptions("")...)
}

func (c *TableConnector) check(t connector.TableContext) (*connector.TableOptions, Format, error) {
	o, err := connector.CheckTableOptions(c, t)
	if err != nil {
		return nil, "", err
	}
	if i := slices.IndexFunc(t.Schema.Columns, func(c table.Column) bool { return c.Metadata != "" }); i >= 0 {
		col := t.Schema.Columns[i]
		return nil, "", o.Errorf("column %q: the file connector has no metadata (METADATA FROM '%s')", col.Name, col.Metadata)
	}
	name, err := o.Enum(OptFormat, format.RowFormatJSON, format.RowFormatCSV)
	if err != nil {
		return nil, "", err
	}
	f := FormatJSONLines
	if name == format.RowFormatCSV {
		f = FormatCSV
	}
	return o, f, nil
}

func csvComma(o *connector.TableOptions) rune {
	if d := []rune(o.Get(format.OptCSVFieldDelimiter)); len(d) == 1 {
		return d[0]
	}
	return ','
}

// TableSource returns a bounded source of the files under 'path' (unbounded
// with 'source.monitor-interval'), one split per file.
func (c *TableConnector) TableSource(_ context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	o, ff, err := c.check(t)
	if err != nil {
		return nil, err
	}
	phys, _ := format.Physical(t.Schema)
	rf, err := format.NewRowFormat(o.Get(OptFormat), phys, o, "", false)
	if err != nil {
		return nil, err
	}
	onErr, err := o.Enum(OptOnError, string(OnErrorFail), string(OnErrorSkip))
	if err != nil {
		return nil, err
	}
	maxLine, err := o.Bytes(OptSourceMaxRecordByteSize)
	if err != nil {
		return nil, err
	}
	if maxLine > maxMaxLineBytes {
		return nil, o.Errorf("option '%s' is '%s', at most 1gb", OptSourceMaxRecordByteSize, o.Get(OptSourceMaxRecordByteSize))
	}
	if _, err := o.Duration(OptMonitorInterval); err != nil {
		return nil, err
	}
	opts := SourceOptions{
		Paths:        []string{o.Get(OptPath)},
		Format:       ff,
		OnError:      OnError(onErr),
		MaxLineBytes: int(maxLine),
		Monitor:      o.Has(OptMonitorInterval),
		CSV:          CSVOptions{Comma: csvComma(o), NoHeader: true},
	}
	s, err := NewSourceDecoder(opts, format.WidenDecoder(rf, t.Schema))
	if err != nil {
		return nil, o.Errorf("%v", err)
	}
	return s, nil
}

// TableSink returns an exactly-once sink into the directory 'path'
// (TransactionalSink: part files are visible once the checkpoint that
// covers them completed). An updating query needs 'format' = 'json': every
// line then carries "op" ("+I", "-U", "+U", "-D").
func (c *TableConnector) TableSink(_ context.Context, t connector.TableContext, updating bool) (connector.Sink[table.Row], error) {
	o, ff, err := c.check(t)
	if err != nil {
		return nil, err
	}
	if o.Has(OptOnError) || o.Has(OptMonitorInterval) || o.Has(OptSourceMaxRecordByteSize) {
		return nil, o.Errorf("options '%s', '%s' and '%s' are for reading; the table is written", OptOnError, OptMonitorInterval, OptSourceMaxRecordByteSize)
	}
	phys, _ := format.Physical(t.Schema)
	rf, err := format.NewRowFormat(o.Get(OptFormat), phys, o, "", updating)
	if err != nil {
		return nil, err
	}
	size, err := o.Bytes(OptRollFileSize)
	if err != nil {
		return nil, err
	}
	roll, err := o.Duration(OptRollRolloverInterval)
	if err != nil {
		return nil, err
	}
	idle, err := o.Duration(OptRollInactivityInterval)
	if err != nil {
		return nil, err
	}
	s, err := NewTransactionalSink(TransactionalSinkOptions[table.Row]{
		Dir:                o.Get(OptPath),
		Format:             ff,
		CSV:                CSVOptions{Comma: csvComma(o), NoHeader: true},
		Prefix:             o.Get(OptSinkPartPrefix),
		RollSize:           size,
		RollInterval:       roll,
		InactivityInterval: idle,
		Encoder:            format.NarrowEncoder(rf, t.Schema),
	})
	if err != nil {
		return nil, o.Errorf("%v", err)
	}
	return s, nil
}
