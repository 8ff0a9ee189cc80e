package file

import (
	"context"
	"slices"
	"strings"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
	"github.com/stromio/strom/table"
)

// TableConnector is the 'file' connector of SQL tables
// (`WITH ('connector' = 'file', 'path' = ..., 'format' = 'json')`), also
// offered as Flink's 'filesystem': a bounded source of the files under
// 'path' and an exactly-once sink into the directory 'path' through
// TransactionalSink.
//
// Rows have one field per column of the table's schema: the format reads
// and writes the physical columns; computed columns are NULL in source rows
// (the SQL layer computes them) and ignored by the sink. The connector has
// no metadata columns.
//
// A sink of a table PARTITIONED BY (a, b) writes the rows into directories
// a=<value>/b=<value> under 'path' (Flink's layout; characters other than
// letters, digits and "._-:" are escaped as %XX, NULL is
// __DEFAULT_PARTITION__) and leaves the partition columns out of the
// files. Partitions are committed with the files at every checkpoint: the
// 'sink.partition-commit.*' and 'partition.time-extractor.*' options are
// accepted (and validated) for Flink DDL, but no _SUCCESS file is written
// and no commit waits for a partition's time. A source of a partitioned
// table reads that layout back (partread.go): the partition columns come
// from the directories, __DEFAULT_PARTITION__ as NULL.
//
// 'path' is a local path or a file:// URI, taken as given (relative paths
// to the working directory): a SQL script run from the command line may
// read and write where its user can. A server that runs SQL from untrusted
// users must not offer this factory (RELIABILITY.md S8).
type TableConnector struct{ name string }

// TableFactory returns the 'file' connector of SQL tables.
func TableFactory() *TableConnector { return &TableConnector{name: "file"} }

// FilesystemTableFactory returns the same connector named 'filesystem', as
// in Flink's DDL (the Nexmark benchmark's q10 and q13).
func FilesystemTableFactory() *TableConnector { return &TableConnector{name: "filesystem"} }

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
	OptRollCheckInterval       = "sink.rolling-policy.check-interval"
	OptCommitTrigger           = "sink.partition-commit.trigger"
	OptCommitDelay             = "sink.partition-commit.delay"
	OptCommitPolicy            = "sink.partition-commit.policy.kind"
	OptTimestampPattern        = "partition.time-extractor.timestamp-pattern"
)

// Name returns "file" (or "filesystem").
func (c *TableConnector) Name() string { return c.name }

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
		{Key: OptRollCheckInterval, Description: "sink: accepted for Flink DDL (a duration); time-based rolling is checked on every flush and every 1024 rows"},
		{Key: OptCommitTrigger, Description: "sink: accepted for Flink DDL ('process-time' or 'partition-time'); partitions are committed with the files at every checkpoint"},
		{Key: OptCommitDelay, Description: "sink: accepted for Flink DDL (a duration); see 'sink.partition-commit.trigger'"},
		{Key: OptCommitPolicy, Description: "sink: accepted for Flink DDL ('success-file'); no _SUCCESS file is written yet"},
		{Key: OptTimestampPattern, Description: "sink: accepted for Flink DDL (such as '$dt $hm:00'); not used yet"},
		connector.SinkParallelismOption(),
	}, format.RowFormatOptions("")...)
}

func (c *TableConnector) check(t connector.TableContext) (*connector.TableOptions, Format, string, error) {
	o, err := connector.CheckTableOptions(c, t)
	if err != nil {
		return nil, "", "", err
	}
	if i := slices.IndexFunc(t.Schema.Columns, func(c table.Column) bool { return c.Metadata != "" }); i >= 0 {
		col := t.Schema.Columns[i]
		return nil, "", "", o.Errorf("column %q: the file connector has no metadata (METADATA FROM '%s')", col.Name, col.Metadata)
	}
	name, err := o.Enum(OptFormat, format.RowFormatJSON, format.RowFormatCSV)
	if err != nil {
		return nil, "", "", err
	}
	path := o.Get(OptPath)
	if rest, ok := strings.CutPrefix(path, "file://"); ok {
		path = rest
	} else if strings.Contains(path, "://") {
		return nil, "", "", o.Errorf("option 'path' is '%s': only local paths and file:// URIs are supported", path)
	}
	if path == "" {
		return nil, "", "", o.Errorf("option 'path' is empty")
	}
	f := FormatJSONLines
	if name == format.RowFormatCSV {
		f = FormatCSV
	}
	return o, f, path, nil
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
	o, ff, path, err := c.check(t)
	if err != nil {
		return nil, err
	}
	// The files hold the physical columns but the partition columns (the
	// sink's layout).
	partIdx, err := partitionColumns(o, t)
	if err != nil {
		return nil, err
	}
	read := t.Schema
	if len(partIdx) > 0 {
		read = table.Schema{Columns: slices.Clone(t.Schema.Columns)}
		for _, i := range partIdx {
			read.Columns[i].Computed = "(partition)" // not physical: not read
		}
	}
	phys, _ := format.Physical(read)
	if len(phys.Columns) == 0 {
		return nil, o.Errorf("no column is left to read from the files")
	}
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
		Paths:          []string{path},
		Format:         ff,
		OnError:        OnError(onErr),
		MaxLineBytes:   int(maxLine),
		Monitor:        o.Has(OptMonitorInterval),
		CSV:            CSVOptions{Comma: csvComma(o), NoHeader: true},
		SkipSetting:    "'" + OptOnError + "' = '" + string(OnErrorSkip) + "'",
		MaxLineSetting: "'" + OptSourceMaxRecordByteSize + "'",
	}
	s, err := NewSourceDecoder(opts, format.WidenDecoder(rf, read))
	if err != nil {
		return nil, o.Errorf("%v", err)
	}
	if len(partIdx) > 0 {
		ps := &partSource{inner: s, root: path, keys: t.PartitionKeys, idx: partIdx, filter: t.PartitionFilter}
		for _, i := range partIdx {
			ps.types = append(ps.types, t.Schema.Columns[i].Type)
		}
		return ps, nil
	}
	return s, nil
}

// PrunesPartitions: a partitioned table's source skips the partition
// directories that t.PartitionFilter rejects (connector.PartitionPruningTableSource).
func (c *TableConnector) PrunesPartitions(t connector.TableContext) bool {
	return len(t.PartitionKeys) > 0
}

var _ connector.PartitionPruningTableSource = (*TableConnector)(nil)

// partitionColumns are the positions of the PARTITIONED BY columns in the
// table's schema (physical columns only).
func partitionColumns(o *connector.TableOptions, t connector.TableContext) ([]int, error) {
	var idx []int
	for _, k := range t.PartitionKeys {
		i := t.Schema.Index(k)
		if i < 0 || !t.Schema.Columns[i].IsPhysical() {
			return nil, o.Errorf("PARTITIONED BY names %q, which is not a physical column of the table", k)
		}
		idx = append(idx, i)
	}
	return idx, nil
}

// TableSink returns an exactly-once sink into the directory 'path'
// (TransactionalSink: part files are visible once the checkpoint that
// covers them completed). An updating query needs 'format' = 'json': every
// line then carries "op" ("+I", "-U", "+U", "-D").
func (c *TableConnector) TableSink(_ context.Context, t connector.TableContext, updating bool) (connector.Sink[table.Row], error) {
	o, ff, path, err := c.check(t)
	if err != nil {
		return nil, err
	}
	if err := checkFlinkCommitOptions(o); err != nil {
		return nil, err
	}
	if _, err := connector.SinkParallelism(t.Options); err != nil {
		return nil, o.Errorf("%v", err)
	}
	// The files hold the physical columns but the partition columns.
	partIdx, err := partitionColumns(o, t)
	if err != nil {
		return nil, err
	}
	written := table.Schema{Columns: slices.Clone(t.Schema.Columns)}
	for _, i := range partIdx {
		written.Columns[i].Computed = "(partition)" // not physical: not written
	}
	phys, _ := format.Physical(written)
	if len(phys.Columns) == 0 {
		return nil, o.Errorf("no column is left to write into the files")
	}
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
		Dir:                path,
		NewPartition:       partitionCache(partitionFunc(t.Schema, partIdx), partIdx),
		Format:             ff,
		CSV:                CSVOptions{Comma: csvComma(o), NoHeader: true},
		Prefix:             o.Get(OptSinkPartPrefix),
		RollSize:           size,
		RollInterval:       roll,
		InactivityInterval: idle,
		Encoder:            format.NarrowEncoder(rf, written),
		// Fewer, larger writes (BenchmarkTableSinkBuffer); 64 KiB each
		// while more than 4 partitions are open.
		BufferBytes: tableSinkBuffer,
		// The row encoders write the row's values into the part file's
		// buffer, the partition cache keeps copies of the partition
		// values' bytes (partCache): neither keeps the row.
		KeepsNoRecords: true,
	})
	if err != nil {
		return nil, o.Errorf("%v", err)
	}
	return s, nil
}

// tableSinkBuffer is the TransactionalSinkOptions.BufferBytes of the
// 'filesystem' table sink.
const tableSinkBuffer = 256 << 10

// checkFlinkCommitOptions validates the partition-commit options that the
// sink accepts for Flink DDL without using them.
func checkFlinkCommitOptions(o *connector.TableOptions) error {
	if _, err := o.Enum(OptCommitTrigger, "process-time", "partition-time"); err != nil {
		return err
	}
	if _, err := o.Enum(OptCommitPolicy, "success-file"); err != nil {
		return err
	}
	for _, k := range []string{OptCommitDelay, OptRollCheckInterval} {
		if _, err := o.Duration(k); err != nil {
			return err
		}
	}
	return nil
}

// partitionFunc returns the TransactionalSink's Partition of a table
// partitioned by the columns at idx: "a=<v>/b=<v>" (nil without columns).
func partitionFunc(s table.Schema, idx []int) func(table.Row) string {
	if len(idx) == 0 {
		return nil
	}
	names := make([]string, len(idx))
	for i, j := range idx {
		names[i] = escapePartition(s.Columns[j].Name)
	}
	return func(r table.Row) string {
		// The path is built in a buffer on the stack (one allocation per
		// row: the string returned); a value's text is appended in place
		// and escaped afterwards only when it needs it.
		var arr [128]byte
		b := arr[:0]
		for i, j := range idx {
			if i > 0 {
				b = append(b, '/')
			}
			b = append(b, names[i]...)
			b = append(b, '=')
			if j >= len(r.Fields) || r.Fields[j].IsNull() {
				b = append(b, "__DEFAULT_PARTITION__"...)
				continue
			}
			start := len(b)
			b = format.AppendText(b, r.Fields[j])
			if !partitionSafe(b[start:]) {
				v := string(b[start:])
				b = append(b[:start], escapePartition(v)...)
			}
		}
		return string(b)
	}
}

// partitionCache returns a TransactionalSink's NewPartition over part (a
// partitionFunc over the columns at idx; nil without columns): each writer's
// function returns the previous row's path again, without building it,
// when the row's partition values equal the previous row's. Values of the
// kinds whose equality means equal text (NULL, strings, integers, booleans,
// dates) are remembered (strings as copies, so a producer reusing its
// buffers cannot make a stale path match); any other kind builds the path.
func partitionCache(part func(table.Row) string, idx []int) func() func(table.Row) string {
	if part == nil {
		return nil
	}
	return func() func(table.Row) string {
		c := &partCache{part: part, idx: idx, last: make([]partValue, len(idx))}
		return c.path
	}
}

// partCache is one writer's partition function with its previous row's
// partition values and path.
type partCache struct {
	part     func(table.Row) string
	idx      []int
	last     []partValue
	lastPath string
	valid    bool // last and lastPath are those of the previous row
}

// partValue is a remembered partition value: its kind, the integer of an
// integer, boolean or date, the bytes of a string.
type partValue struct {
	kind table.Kind
	n    int64
	s    []byte
}

// partField is column j of r, NULL past its end (as partitionFunc reads it).
func partField(r table.Row, j int) table.Value {
	if j < len(r.Fields) {
		return r.Fields[j]
	}
	return table.Null
}

func (c *partCache) path(r table.Row) string {
	if c.valid {
		same := true
		for i, j := range c.idx {
			v, l := partField(r, j), &c.last[i]
			if v.Kind() != l.kind {
				same = false
				break
			}
			switch l.kind {
			case table.KindString:
				same = v.AsString() == string(l.s)
			case table.KindInt, table.KindDate:
				same = v.AsInt() == l.n
			case table.KindBool:
				same = v.AsBool() == (l.n != 0)
			}
			if !same {
				break
			}
		}
		if same {
			return c.lastPath
		}
	}
	c.lastPath = c.part(r)
	c.valid = true
	for i, j := range c.idx {
		v, l := partField(r, j), &c.last[i]
		l.kind = v.Kind()
		switch l.kind {
		case table.KindNull:
		case table.KindString:
			l.s = append(l.s[:0], v.AsString()...)
		case table.KindInt, table.KindDate:
			l.n = v.AsInt()
		case table.KindBool:
			l.n = 0
			if v.AsBool() {
				l.n = 1
			}
		default:
			c.valid = false // not remembered: the next row builds its path
		}
	}
	return c.lastPath
}

// partitionSafe reports whether escapePartition leaves v as it is: not
// empty, and every byte one it does not escape.
func partitionSafe(v []byte) bool {
	for i, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == ':' || c == '.' && i > 0) {
			return false
		}
	}
	return len(v) > 0
}

// escapePartition escapes what may not stand in a directory name as %XX
// (as Flink's PartitionPathUtils does, with a shorter list of safe
// characters): all but letters, digits, '_', '-', ':' and a '.' that is not
// first. An empty value is "__EMPTY__".
func escapePartition(v string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == ':' || c == '.' && i > 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexd[c>>4])
		b.WriteByte(hexd[c&15])
	}
	if b.Len() == 0 {
		return "__EMPTY__"
	}
	return b.String()
}
