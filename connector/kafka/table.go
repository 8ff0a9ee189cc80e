package kafka

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
	"github.com/stromio/strom/table"
)

// TableConnector is the 'kafka' connector of SQL tables, with Flink's
// option keys: a source (NewSource) and a sink (NewSink) of rows whose
// value (and optionally key) bytes are in a row format of package format.
//
// Rows have one field per column of the table's schema. Physical columns
// come from the value format, or, for the columns named in 'key.fields',
// from the key format (with 'value.fields-include' = 'EXCEPT_KEY' they are
// only in the key). METADATA columns: 'topic' (STRING), 'partition' (INT),
// 'offset' (BIGINT), 'timestamp' (TIMESTAMP_LTZ(3) or TIMESTAMP(3)) and
// 'headers' (MAP<STRING, BYTES>); a sink writes 'timestamp' and 'headers'
// when they are not VIRTUAL, the others are read-only. Computed columns
// are NULL in source rows (the SQL layer computes them).
//
// A record that does not decode is handled by 'on-error': 'fail' (the
// default) stops the job, 'skip' drops and counts it, 'dlq' hands it to the
// source's dead-letter output (connector.DeadLetterReader), which the
// planner routes like stream.DeadLetters; the error classes are those of
// package format. An empty value (a tombstone) is a bad record but for the
// raw format of a nullable column.
//
// An updating query may write to Kafka with 'format' = 'json': every value
// then carries "op" (+I, -U, +U, -D), as the Nexmark spec's changelog.
type TableConnector struct{}

// TableFactory returns the 'kafka' connector of SQL tables.
func TableFactory() *TableConnector { return &TableConnector{} }

var (
	_ connector.TableSourceFactory = (*TableConnector)(nil)
	_ connector.TableSinkFactory   = (*TableConnector)(nil)
)

// The option keys of the 'kafka' connector (Flink's, but for 'on-error'
// and the 'unbounded'/'latest-offset' subset of 'scan.bounded.mode').
const (
	OptTopic                = "topic"
	OptTopicPattern         = "topic-pattern"
	OptBootstrapServers     = "properties.bootstrap.servers"
	OptGroupID              = "properties.group.id"
	OptClientID             = "properties.client.id"
	OptTransactionTimeout   = "properties.transaction.timeout.ms"
	OptIsolationLevel       = "properties.isolation.level"
	OptStartupMode          = "scan.startup.mode"
	OptStartupTimestamp     = "scan.startup.timestamp-millis"
	OptStartupOffsets       = "scan.startup.specific-offsets"
	OptDiscoveryInterval    = "scan.topic-partition-discovery.interval"
	OptBoundedMode          = "scan.bounded.mode"
	OptCommitOffsets        = "properties.commit.offsets.on.checkpoint"
	OptFormat               = "format"
	OptValueFormat          = "value.format"
	OptKeyFormat            = "key.format"
	OptKeyFields            = "key.fields"
	OptValueFieldsInclude   = "value.fields-include"
	OptDeliveryGuarantee    = "sink.delivery-guarantee"
	OptTransactionalIDPrefx = "sink.transactional-id-prefix"
	OptOnError              = "on-error"
	OptMaxBadRatio          = "on-error.max-bad-ratio"
)

// Name returns "kafka".
func (*TableConnector) Name() string { return "kafka" }

// Options lists the option keys of the connector.
func (*TableConnector) Options() []connector.TableOption {
	opts := []connector.TableOption{
		{Key: OptTopic, Description: "the topic (several separated by ';' for a source); this or 'topic-pattern' is required"},
		{Key: OptTopicPattern, Description: "source: a regular expression matching whole topic names; new matching topics are discovered"},
		{Key: OptBootstrapServers, Required: true, Description: "the brokers, host:port separated by ','"},
		{Key: OptGroupID, Description: "the consumer group of 'group-offsets' and of the offsets committed on checkpoints (strom never joins it)"},
		{Key: OptClientID, Default: "strom", Description: "the client id of the consumers"},
		{Key: OptIsolationLevel, Default: "read_committed", Description: "source: 'read_committed' or 'read_uncommitted'"},
		{Key: OptCommitOffsets, Default: "false", Description: "source: 'true' commits the offsets of each completed checkpoint to 'properties.group.id', for lag monitoring"},
		{Key: OptStartupMode, Default: "earliest-offset", Description: "source: where partitions the checkpoint does not know start: 'earliest-offset', 'latest-offset', 'group-offsets' (falling back to earliest), 'timestamp' or 'specific-offsets'"},
		{Key: OptStartupTimestamp, Description: "source: epoch milliseconds for 'scan.startup.mode' = 'timestamp'"},
		{Key: OptStartupOffsets, Description: "source: 'partition:0,offset:42;partition:1,offset:300' for 'scan.startup.mode' = 'specific-offsets' (one topic; other partitions start at the earliest offset)"},
		{Key: OptDiscoveryInterval, Default: "30 s", Description: "source: how often new partitions (and topics of 'topic-pattern') are looked for; '0' never"},
		{Key: OptBoundedMode, Default: "unbounded", Description: "source: 'unbounded', or 'latest-offset': every partition ends at its (last stable) offset when it is opened"},
		{Key: OptFormat, Description: "the value format: 'json', 'csv', 'raw', 'avro' or 'avro-confluent' (subject '<topic>-value'; this or 'value.format' is required); 'json' carries \"op\" in an updating sink"},
		{Key: OptValueFormat, Description: "the value format, the same as 'format' (options then take the prefix 'value.', as 'value.json.timestamp-format.standard')"},
		{Key: OptKeyFormat, Description: "the key format ('json', 'csv', 'raw', 'avro', 'avro-confluent' with subject '<topic>-key'); needs 'key.fields'"},
		{Key: OptKeyFields, Description: "the physical columns in the key, separated by ';'"},
		{Key: OptValueFieldsInclude, Default: "ALL", Description: "'ALL': the value holds every physical column; 'EXCEPT_KEY': not the key columns"},
		{Key: OptDeliveryGuarantee, Default: "at-least-once", Description: "sink: 'at-least-once', 'exactly-once' (Kafka transactions committed with checkpoints) or 'none'"},
		{Key: OptTransactionalIDPrefx, Description: "sink: the prefix of the transactional ids, required for 'exactly-once'; unique per job and sink"},
		{Key: OptTransactionTimeout, Description: "sink: the transaction timeout in milliseconds of 'exactly-once' (default 15 minutes); more than the checkpoint interval plus a restart"},
		{Key: OptOnError, Default: "fail", Description: "source: a record that does not decode: 'fail' the job, 'skip' it, or 'dlq' (to the source's dead-letter output)"},
		connector.SinkParallelismOption(),
		{Key: OptMaxBadRatio, Description: "source: with 'skip' or 'dlq', fail once more than this fraction (0..1) of a partition's records were bad (after 10 bad ones)"},
	}
	for _, prefix := range []string{"", "value.", "key."} {
		opts = append(opts, format.RowFormatOptions(prefix)...)
		opts = append(opts, format.RowFormatRegistryOptions(prefix)...)
	}
	return opts
}

// metaKinds are the metadata keys and the kind of value each holds; the
// writable ones are marked.
var metaKinds = map[string]struct {
	kind     table.Kind
	writable bool
}{
	"topic":     {table.KindString, false},
	"partition": {table.KindInt, false},
	"offset":    {table.KindInt, false},
	"timestamp": {table.KindTimestamp, true},
	"headers":   {table.KindMap, true},
}

type metaCol struct {
	idx int
	key string
}

// rowLayout maps the columns of a table onto key, value and metadata.
type rowLayout struct {
	n              int
	keyIdx, valIdx []int
	key, val       format.Format[table.Row]
	meta           []metaCol
}

type tableConfig struct {
	o      *connector.TableOptions
	layout rowLayout
	topics []string
}

func (c *TableConnector) config(t connector.TableContext, sink, updating bool) (*tableConfig, error) {
	o, err := connector.CheckTableOptions(c, t)
	if err != nil {
		return nil, err
	}
	if err := o.NoPartitions(t); err != nil {
		return nil, err
	}
	cfg := &tableConfig{o: o}
	if o.Has(OptTopic) == o.Has(OptTopicPattern) {
		return nil, o.Errorf("give one of 'topic' and 'topic-pattern'")
	}
	if o.Has(OptTopic) {
		for _, tp := range strings.Split(o.Get(OptTopic), ";") {
			if tp = strings.TrimSpace(tp); tp != "" {
				cfg.topics = append(cfg.topics, tp)
			}
		}
		if len(cfg.topics) == 0 {
			return nil, o.Errorf("option 'topic' is empty")
		}
	}
	if sink && (len(cfg.topics) != 1) {
		return nil, o.Errorf("a sink writes one topic: give it in 'topic', not '%s'", o.Get(OptTopic)+o.Get(OptTopicPattern))
	}
	// The value format: 'format' or 'value.format' (then with 'value.' options).
	valName, prefix := o.Get(OptFormat), ""
	switch {
	case o.Has(OptFormat) && o.Has(OptValueFormat):
		return nil, o.Errorf("give one of 'format' and 'value.format'")
	case o.Has(OptValueFormat):
		valName, prefix = o.Get(OptValueFormat), "value."
	case !o.Has(OptFormat):
		return nil, o.Errorf("missing required option 'format' (or 'value.format')")
	}
	// Format options of a format that is not used are mistakes.
	for _, unused := range []struct{ prefix, why string }{
		{"", "'value.format' is used"}, {"value.", "'format' is used"}, {"key.", "there is no 'key.format'"},
	} {
		if unused.prefix == prefix || unused.prefix == "key." && o.Has(OptKeyFormat) {
			continue
		}
		for _, fo := range append(format.RowFormatOptions(unused.prefix), format.RowFormatRegistryOptions(unused.prefix)...) {
			if o.Has(fo.Key) {
				return nil, o.Errorf("option '%s' has no effect: %s", fo.Key, unused.why)
			}
		}
	}
	l := &cfg.layout
	l.n = len(t.Schema.Columns)
	var keyCols []string
	if o.Has(OptKeyFields) {
		for _, k := range strings.Split(o.Get(OptKeyFields), ";") {
			keyCols = append(keyCols, strings.TrimSpace(k))
		}
	}
	if o.Has(OptKeyFormat) != (len(keyCols) > 0) {
		return nil, o.Errorf("'key.format' and 'key.fields' go together")
	}
	include, err := o.Enum(OptValueFieldsInclude, "ALL", "EXCEPT_KEY")
	if err != nil {
		return nil, err
	}
	var keySchema, valSchema table.Schema
	for _, k := range keyCols {
		i := t.Schema.Index(k)
		if i < 0 || !t.Schema.Columns[i].IsPhysical() {
			return nil, o.Errorf("'key.fields' names %q, which is not a physical column of the table", k)
		}
		l.keyIdx = append(l.keyIdx, i)
		keySchema.Columns = append(keySchema.Columns, t.Schema.Columns[i])
	}
	for i, col := range t.Schema.Columns {
		switch {
		case col.Metadata != "":
			mk, ok := metaKinds[col.Metadata]
			if !ok {
				return nil, o.Errorf("column %q: unknown metadata key '%s' (the kafka connector has 'headers', 'offset', 'partition', 'timestamp', 'topic')", col.Name, col.Metadata)
			}
			if table.KindOf(col.Type) != mk.kind || col.Metadata == "headers" && (!col.Type.Elem().IsString() || !col.Type.ValueType().IsBinary()) {
				return nil, o.Errorf("column %q: metadata '%s' has the wrong type %s", col.Name, col.Metadata, col.Type)
			}
			if sink && !col.Virtual && !mk.writable {
				return nil, o.Errorf("column %q: metadata '%s' is read-only: declare it VIRTUAL", col.Name, col.Metadata)
			}
			l.meta = append(l.meta, metaCol{idx: i, key: col.Metadata})
		case col.IsPhysical():
			if include == "EXCEPT_KEY" && slices.Contains(l.keyIdx, i) {
				continue
			}
			l.valIdx = append(l.valIdx, i)
			valSchema.Columns = append(valSchema.Columns, col)
		}
	}
	subject := func(suffix string) string {
		if len(cfg.topics) == 1 {
			return cfg.topics[0] + suffix
		}
		return "" // several topics or a pattern: the subject must be given
	}
	valSpec := format.RowFormatSpec{Prefix: prefix, Changelog: updating, Subject: subject("-value")}
	if valSpec.Subject == "" && valName == format.RowFormatAvroConfluent {
		if valSpec.Subject = o.Get(prefix + format.OptAvroConfluentSubject); valSpec.Subject == "" {
			return nil, o.Errorf("format 'avro-confluent' over several topics needs '%s'", prefix+format.OptAvroConfluentSubject)
		}
	}
	if l.val, err = format.NewRowFormatFor(valName, valSchema, o, valSpec); err != nil {
		return nil, err
	}
	if len(keyCols) > 0 {
		keySpec := format.RowFormatSpec{Prefix: "key.", Subject: subject("-key")}
		if keySpec.Subject == "" {
			keySpec.Subject = o.Get("key." + format.OptAvroConfluentSubject)
		}
		if l.key, err = format.NewRowFormatFor(o.Get(OptKeyFormat), keySchema, o, keySpec); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func (c *tableConfig) cluster() Cluster {
	var bs []string
	for _, b := range strings.Split(c.o.Get(OptBootstrapServers), ",") {
		if b = strings.TrimSpace(b); b != "" {
			bs = append(bs, b)
		}
	}
	return Cluster{Brokers: bs}
}

// Deserializer returns the deserializer of the layout's rows.
func (l *rowLayout) deserialize(r *Record) (table.Row, error) {
	v, err := l.val.Decode(r.Value)
	if err != nil {
		return table.Row{}, err
	}
	fs := make([]table.Value, l.n)
	for i, j := range l.valIdx {
		fs[j] = v.Fields[i]
	}
	if l.key != nil {
		k, err := l.key.Decode(r.Key)
		if err != nil {
			return table.Row{}, fmt.Errorf("key: %w", err)
		}
		for i, j := range l.keyIdx {
			fs[j] = k.Fields[i]
		}
	}
	for _, m := range l.meta {
		switch m.key {
		case "topic":
			fs[m.idx] = table.Str(r.Topic)
		case "partition":
			fs[m.idx] = table.Int(int64(r.Partition))
		case "offset":
			fs[m.idx] = table.Int(r.Offset)
		case "timestamp":
			fs[m.idx] = table.TimestampMillis(r.Timestamp)
		case "headers":
			ks := make([]table.Value, len(r.Headers))
			vs := make([]table.Value, len(r.Headers))
			for i, h := range r.Headers {
				ks[i], vs[i] = table.Str(h.Key), table.Bytes(h.Value)
			}
			fs[m.idx] = table.Map(ks, vs)
		}
	}
	return table.Row{Kind: v.Kind, Fields: fs}, nil
}

func pick(r table.Row, idx []int) []table.Value {
	fs := make([]table.Value, len(idx))
	for i, j := range idx {
		fs[i] = r.Fields[j]
	}
	return fs
}

func (l *rowLayout) serialize(r table.Row, ts int64) (*Record, error) {
	if len(r.Fields) != l.n {
		return nil, fmt.Errorf("row has %d fields, the table %d columns", len(r.Fields), l.n)
	}
	b, err := l.val.Encode(table.Row{Kind: r.Kind, Fields: pick(r, l.valIdx)}, nil)
	if err != nil {
		return nil, err
	}
	rec := &Record{Value: b, Timestamp: ts, Partition: -1}
	if l.key != nil {
		if rec.Key, err = l.key.Encode(table.Row{Fields: pick(r, l.keyIdx)}, nil); err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
	}
	for _, m := range l.meta {
		v := r.Fields[m.idx]
		if v.IsNull() {
			continue
		}
		switch m.key {
		case "timestamp":
			rec.Timestamp, _ = v.AsTimestamp()
		case "headers":
			ks, vs := v.MapEntries()
			for i := range ks {
				rec.Headers = append(rec.Headers, connector.Header{Key: ks[i].AsString(), Value: vs[i].AsBytes()})
			}
		}
	}
	return rec, nil
}

// ParseSpecificOffsets reads Flink's 'scan.startup.specific-offsets':
// "partition:0,offset:42;partition:1,offset:300".
func ParseSpecificOffsets(s string) (map[int32]int64, error) {
	out := map[int32]int64{}
	for _, ent := range strings.Split(s, ";") {
		if ent = strings.TrimSpace(ent); ent == "" {
			continue
		}
		p, o, ok := strings.Cut(ent, ",")
		ps, ok1 := strings.CutPrefix(strings.TrimSpace(p), "partition:")
		os, ok2 := strings.CutPrefix(strings.TrimSpace(o), "offset:")
		pn, err1 := strconv.ParseInt(strings.TrimSpace(ps), 10, 32)
		on, err2 := strconv.ParseInt(strings.TrimSpace(os), 10, 64)
		if !ok || !ok1 || !ok2 || err1 != nil || err2 != nil || pn < 0 || on < 0 {
			return nil, fmt.Errorf("bad entry %q (want 'partition:0,offset:42;partition:1,offset:300')", ent)
		}
		out[int32(pn)] = on
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no offsets in %q", s)
	}
	return out, nil
}

// TableSource returns a Kafka source of the table's rows.
func (c *TableConnector) TableSource(_ context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	cfg, err := c.config(t, false, false)
	if err != nil {
		return nil, err
	}
	o := cfg.o
	so := SourceOptions[table.Row]{
		Cluster:      cfg.cluster(),
		Topics:       cfg.topics,
		TopicPattern: o.Get(OptTopicPattern),
		Deserializer: cfg.layout.deserialize,
		Group:        o.Get(OptGroupID),
		ClientID:     o.Get(OptClientID),
	}
	mode, err := o.Enum(OptStartupMode, "earliest-offset", "latest-offset", "group-offsets", "timestamp", "specific-offsets")
	if err != nil {
		return nil, err
	}
	if (mode == "timestamp") != o.Has(OptStartupTimestamp) {
		return nil, o.Errorf("'scan.startup.timestamp-millis' goes with 'scan.startup.mode' = 'timestamp', and only with it")
	}
	if (mode == "specific-offsets") != o.Has(OptStartupOffsets) {
		return nil, o.Errorf("'scan.startup.specific-offsets' goes with 'scan.startup.mode' = 'specific-offsets', and only with it")
	}
	switch mode {
	case "earliest-offset":
		so.Start = Start{Kind: StartEarliest}
	case "latest-offset":
		so.Start = Start{Kind: StartLatest}
	case "group-offsets":
		if so.Group == "" {
			return nil, o.Errorf("'scan.startup.mode' = 'group-offsets' needs 'properties.group.id'")
		}
		so.Start = Start{Kind: StartCommitted}
	case "timestamp":
		ms, err := o.Int(OptStartupTimestamp, 0, math.MaxInt64)
		if err != nil {
			return nil, err
		}
		so.Start = Start{Kind: StartTimestamp, Millis: ms}
	case "specific-offsets":
		if len(cfg.topics) != 1 {
			return nil, o.Errorf("'specific-offsets' needs exactly one topic in 'topic'")
		}
		offs, err := ParseSpecificOffsets(o.Get(OptStartupOffsets))
		if err != nil {
			return nil, o.Errorf("option 'scan.startup.specific-offsets': %v", err)
		}
		so.Start = Start{Kind: StartOffsets, Offsets: map[string]map[int32]int64{cfg.topics[0]: offs}}
	}
	iso, err := o.Enum(OptIsolationLevel, "read_committed", "read_uncommitted")
	if err != nil {
		return nil, err
	}
	so.ReadUncommitted = iso == "read_uncommitted"
	commit, err := o.Enum(OptCommitOffsets, "true", "false")
	if err != nil {
		return nil, err
	}
	if so.CommitOffsets = commit == "true"; so.CommitOffsets && so.Group == "" {
		return nil, o.Errorf("'properties.commit.offsets.on.checkpoint' needs 'properties.group.id'")
	}
	bounded, err := o.Enum(OptBoundedMode, "unbounded", "latest-offset")
	if err != nil {
		return nil, err
	}
	so.Bounded = bounded == "latest-offset"
	if so.DiscoveryInterval, err = o.Duration(OptDiscoveryInterval); err != nil {
		return nil, err
	}
	if so.DiscoveryInterval == 0 {
		so.DiscoveryInterval = -1
	}
	onErr, err := o.Enum(OptOnError, "fail", "skip", "dlq")
	if err != nil {
		return nil, err
	}
	so.OnError, _ = connector.ParseOnError(onErr)
	if o.Has(OptMaxBadRatio) {
		r, err := strconv.ParseFloat(o.Get(OptMaxBadRatio), 64)
		if err != nil || r <= 0 || r > 1 {
			return nil, o.Errorf("option '%s' is '%s', want a fraction in (0, 1]", OptMaxBadRatio, o.Get(OptMaxBadRatio))
		}
		so.MaxBadRatio = r
	}
	s, err := NewSource(so)
	if err != nil {
		return nil, o.Errorf("%v", err)
	}
	return s, nil
}

// TableSink returns a Kafka sink of the table's rows into 'topic'. In
// exactly-once mode it refuses a 'properties.transaction.timeout.ms' (or
// its default) not larger than the job's checkpoint interval plus its
// restart delay (t.CheckpointInterval, t.RestartTime).
func (c *TableConnector) TableSink(_ context.Context, t connector.TableContext, updating bool) (connector.Sink[table.Row], error) {
	cfg, err := c.config(t, true, updating)
	if err != nil {
		return nil, err
	}
	o := cfg.o
	if _, err := connector.SinkParallelism(t.Options); err != nil {
		return nil, o.Errorf("%v", err)
	}
	gs, err := o.Enum(OptDeliveryGuarantee, "at-least-once", "exactly-once", "none")
	if err != nil {
		return nil, err
	}
	g, _ := ParseGuarantee(gs)
	sk := SinkOptions[table.Row]{
		Cluster:               cfg.cluster(),
		Topic:                 cfg.topics[0],
		Serializer:            cfg.layout.serialize,
		Guarantee:             g,
		TransactionalIDPrefix: o.Get(OptTransactionalIDPrefx),
	}
	if g == ExactlyOnce && sk.TransactionalIDPrefix == "" {
		return nil, o.Errorf("'sink.delivery-guarantee' = 'exactly-once' needs 'sink.transactional-id-prefix'")
	}
	if o.Has(OptTransactionTimeout) {
		ms, err := o.Int(OptTransactionTimeout, 1000, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		sk.TransactionTimeout = time.Duration(ms) * time.Millisecond
	}
	if g == ExactlyOnce {
		timeout := sk.TransactionTimeout
		if timeout == 0 {
			timeout = DefaultTransactionTimeout
		}
		if err := o.CheckTransactionTimeout(t, timeout, OptTransactionTimeout); err != nil {
			return nil, err
		}
		sk.CheckpointInterval, sk.RestartTime = t.CheckpointInterval, t.RestartTime
	}
	s, err := NewSink(sk)
	if err != nil {
		return nil, o.Errorf("%v", err)
	}
	return s, nil
}
