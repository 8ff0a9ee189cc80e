package kafka

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

func kschema() table.Schema {
	return table.Schema{Columns: []table.Column{
		{Name: "id", Type: table.BigIntType().NotNull()},
		{Name: "name", Type: table.StringType()},
		{Name: "ts", Type: table.TimestampType(3)},
		{Name: "k_topic", Type: table.StringType(), Metadata: "topic", Virtual: true},
		{Name: "k_part", Type: table.IntType(), Metadata: "partition", Virtual: true},
		{Name: "k_off", Type: table.BigIntType(), Metadata: "offset", Virtual: true},
		{Name: "k_ts", Type: table.TimestampLTZType(3), Metadata: "timestamp"},
		{Name: "k_headers", Type: table.MapType(table.StringType(), table.BytesType()), Metadata: "headers"},
	}}
}

func ktable(opts map[string]string) connector.TableContext {
	return connector.TableContext{Name: "events", Schema: kschema(), Options: opts}
}

func kopts(c Cluster, extra ...string) map[string]string {
	m := map[string]string{"topic": "in", "properties.bootstrap.servers": strings.Join(c.Brokers, ","), "format": "json"}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// readRows reads every split of a bounded source to its end.
func readRows(t *testing.T, src connector.Source[table.Row]) (rows []string, dead []connector.DeadLetter) {
	t.Helper()
	ctx := context.Background()
	splits, err := src.Splits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range splits {
		r, err := src.Open(ctx, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]table.Row, 4)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			n, err := r.Read(ctx, buf)
			for _, row := range buf[:n] {
				rows = append(rows, row.String())
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				time.Sleep(5 * time.Millisecond)
			}
		}
		if dr, ok := r.(connector.DeadLetterReader); ok {
			dead = dr.TakeDeadLetters(dead)
		}
		_ = r.Close()
	}
	slices.Sort(rows)
	return rows, dead
}

func TestTableKafkaOptions(t *testing.T) {
	ctx := context.Background()
	f := TableFactory()
	c := Cluster{Brokers: []string{"localhost:1"}}
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"topic": "in", "format": "json"}, `strom: table "events": connector 'kafka': missing required option 'properties.bootstrap.servers' (the brokers, host:port separated by ',')`},
		{kopts(c, "scan.startup.mode", "earliest"), `strom: table "events": connector 'kafka': option 'scan.startup.mode' is 'earliest', want one of 'earliest-offset', 'latest-offset', 'group-offsets', 'timestamp', 'specific-offsets'`},
		{kopts(c, "scan.startup.mode", "timestamp"), `strom: table "events": connector 'kafka': 'scan.startup.timestamp-millis' goes with 'scan.startup.mode' = 'timestamp', and only with it`},
		{kopts(c, "scan.startup.mode", "specific-offsets", "scan.startup.specific-offsets", "partition:0;offset:1"), `strom: table "events": connector 'kafka': option 'scan.startup.specific-offsets': bad entry "partition:0" (want 'partition:0,offset:42;partition:1,offset:300')`},
		{kopts(c, "scan.startup.mode", "group-offsets"), `strom: table "events": connector 'kafka': 'scan.startup.mode' = 'group-offsets' needs 'properties.group.id'`},
		{kopts(c, "on-error", "ignore"), `strom: table "events": connector 'kafka': option 'on-error' is 'ignore', want one of 'fail', 'skip', 'dlq'`},
		{kopts(c, "properties.max.poll.records", "1"), `strom: table "events": connector 'kafka': unknown option 'properties.max.poll.records' (allowed: `},
		{kopts(c, "topic-pattern", "x.*"), `strom: table "events": connector 'kafka': give one of 'topic' and 'topic-pattern'`},
		{kopts(c, "key.format", "json"), `strom: table "events": connector 'kafka': 'key.format' and 'key.fields' go together`},
		{kopts(c, "key.format", "json", "key.fields", "nope"), `strom: table "events": connector 'kafka': 'key.fields' names "nope", which is not a physical column of the table`},
		{kopts(c, "value.json.timestamp-format.standard", "SQL"), `strom: table "events": connector 'kafka': option 'value.json.timestamp-format.standard' has no effect: 'format' is used`},
		{kopts(c, "key.csv.field-delimiter", ";"), `strom: table "events": connector 'kafka': option 'key.csv.field-delimiter' has no effect: there is no 'key.format'`},
		{kopts(c, "format", "protobuf"), `strom: table "events": connector 'kafka': unknown format 'protobuf' (want 'json', 'csv', 'raw', 'avro' or 'avro-confluent')`},
		{kopts(c, "format", "avro-confluent"), `strom: table "events": connector 'kafka': format 'avro-confluent' needs 'avro-confluent.url'`},
		{kopts(c, "value.format", "avro-confluent", "format", ""), `strom: table "events": connector 'kafka': give one of 'format' and 'value.format'`},
		{kopts(c, "format", "avro-confluent", "avro-confluent.url", "file:///etc/passwd"), `strom: table "events": connector 'kafka': option 'avro-confluent.url' is 'file:///etc/passwd', want an http:// or https:// URL`},
		{kopts(c, "scan.topic-partition-discovery.interval", "often"), `strom: table "events": connector 'kafka': option 'scan.topic-partition-discovery.interval' is 'often', want a duration such as '10 s' or '1 min'`},
	} {
		_, err := f.TableSource(ctx, ktable(tc.opts))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v:\n got %v\nwant %s", tc.opts, err, tc.want)
		}
	}
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{kopts(c, "sink.delivery-guarantee", "exactly-once"), `strom: table "events": connector 'kafka': 'sink.delivery-guarantee' = 'exactly-once' needs 'sink.transactional-id-prefix'`},
		{kopts(c, "sink.delivery-guarantee", "exactly"), `strom: table "events": connector 'kafka': option 'sink.delivery-guarantee' is 'exactly', want one of 'at-least-once', 'exactly-once', 'none'`},
		{kopts(c, "topic", "a;b"), `strom: table "events": connector 'kafka': a sink writes one topic: give it in 'topic', not 'a;b'`},
		{kopts(c, "properties.transaction.timeout.ms", "10"), `strom: table "events": connector 'kafka': option 'properties.transaction.timeout.ms' is '10', want an integer in [1000, 2147483647]`},
	} {
		_, err := f.TableSink(ctx, ktable(tc.opts), false)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v:\n got %v\nwant %s", tc.opts, err, tc.want)
		}
	}
	ro := ktable(kopts(c))
	ro.Schema.Columns[3].Virtual = false
	if _, err := f.TableSink(ctx, ro, false); err == nil || err.Error() != `strom: table "events": connector 'kafka': column "k_topic": metadata 'topic' is read-only: declare it VIRTUAL` {
		t.Error(err)
	}
	ro.Schema.Columns[3].Metadata = "leader"
	if _, err := f.TableSource(ctx, ro); err == nil || err.Error() != `strom: table "events": connector 'kafka': column "k_topic": unknown metadata key 'leader' (the kafka connector has 'headers', 'offset', 'partition', 'timestamp', 'topic')` {
		t.Error(err)
	}
	if offs, err := ParseSpecificOffsets("partition:0,offset:42;partition:1,offset:300"); err != nil || offs[0] != 42 || offs[1] != 300 {
		t.Error(offs, err)
	}
}

func TestTableKafkaSourceAndSink(t *testing.T) {
	ctx := context.Background()
	c := fakeCluster(t, 2, "in", "out")
	cl := client(t, c, manualPartitioner())
	recs := []*kgo.Record{
		{Topic: "in", Partition: 0, Value: []byte(`{"id":1,"name":"a","ts":1000}`), Timestamp: time.UnixMilli(5000),
			Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}},
		{Topic: "in", Partition: 1, Value: []byte(`{"id":2,"ts":"1970-01-01 00:00:02"}`), Timestamp: time.UnixMilli(6000)},
		{Topic: "in", Partition: 1, Value: []byte(`{"name":"no id"}`), Timestamp: time.UnixMilli(7000)},
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	src, err := TableFactory().TableSource(ctx, ktable(kopts(c, "scan.bounded.mode", "latest-offset", "on-error", "dlq")))
	if err != nil {
		t.Fatal(err)
	}
	rows, dead := readRows(t, src)
	want := []string{
		"+I(1, 'a', TIMESTAMP '1970-01-01 00:00:01', 'in', 0, 0, TIMESTAMP '1970-01-01 00:00:05', MAP['h', X'76'])",
		"+I(2, NULL, TIMESTAMP '1970-01-01 00:00:02', 'in', 1, 0, TIMESTAMP '1970-01-01 00:00:06', MAP[])",
	}
	if !slices.Equal(rows, want) {
		t.Fatalf("got  %q\nwant %q", rows, want)
	}
	if len(dead) != 1 || dead[0].ErrorClass != "json" || !strings.Contains(dead[0].Message, `field "id" is missing or null`) {
		t.Fatalf("dead letters: %+v", dead)
	}

	// The sink, keyed by id (csv) with the value without the key, the
	// record timestamp and headers from metadata columns.
	so := kopts(c, "topic", "out", "key.format", "csv", "key.fields", "id", "value.fields-include", "EXCEPT_KEY")
	sink, err := TableFactory().TableSink(ctx, ktable(so), true)
	if err != nil {
		t.Fatal(err)
	}
	w, err := sink.Open(ctx, connector.SinkInfo{Subtask: 0, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	hdr := table.Map([]table.Value{table.Str("x")}, []table.Value{table.Bytes([]byte("y"))})
	in := []table.Row{
		{Kind: table.Insert, Fields: []table.Value{table.Int(7), table.Str("seven"), table.TimestampMillis(7000), table.Null, table.Null, table.Null, table.TimestampMillis(70000), hdr}},
		{Kind: table.UpdateBefore, Fields: []table.Value{table.Int(7), table.Str("seven"), table.TimestampMillis(7000), table.Null, table.Null, table.Null, table.Null, table.Null}},
	}
	for _, r := range in {
		if err := w.Write(r, 123); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	_ = sink.(interface{ Close() error }).Close()
	got := readTopic(t, c, "out", true)
	if len(got) != 2 {
		t.Fatalf("%d records", len(got))
	}
	slices.SortFunc(got, func(a, b *kgo.Record) int { return a.Timestamp.Compare(b.Timestamp) })
	if string(got[0].Key) != "7" || string(got[1].Value) != `{"op":"+I","name":"seven","ts":7000}` || string(got[0].Value) != `{"op":"-U","name":"seven","ts":7000}` ||
		got[1].Timestamp.UnixMilli() != 70000 || got[0].Timestamp.UnixMilli() != 123 || len(got[1].Headers) != 1 || got[1].Headers[0].Key != "x" {
		for _, r := range got {
			t.Logf("%s %s %v %v", r.Key, r.Value, r.Timestamp.UnixMilli(), r.Headers)
		}
		t.Fatal("unexpected records")
	}

	// Read back through the same table: the key fills id.
	back, err := TableFactory().TableSource(ctx, ktable(kopts(c, "topic", "out", "key.format", "csv", "key.fields", "id",
		"value.fields-include", "EXCEPT_KEY", "scan.bounded.mode", "latest-offset")))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ = readRows(t, back)
	// Sources are insert-only: "op" is not read back (the planner treats
	// the table as an append stream).
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "+I(7, 'seven', TIMESTAMP '1970-01-01 00:00:07', 'out', ") || !strings.HasPrefix(rows[1], "+I(7, 'seven',") {
		t.Fatalf("read back: %q", rows)
	}
}

func TestTableKafkaAvroConfluent(t *testing.T) {
	ctx := context.Background()
	c := fakeCluster(t, 1, "av")
	reg := srfake.New()
	t.Cleanup(reg.Close)
	opts := kopts(c, "topic", "av", "format", "avro-confluent", "avro-confluent.url", reg.URL())
	sink, err := TableFactory().TableSink(ctx, ktable(opts), false)
	if err != nil {
		t.Fatal(err)
	}
	w, err := sink.Open(ctx, connector.SinkInfo{Subtask: 0, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	row := table.Row{Fields: []table.Value{table.Int(9), table.Str("nine"), table.TimestampMillis(9000), table.Null, table.Null, table.Null, table.Null, table.Null}}
	if err := w.Write(row, 9000); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	got := readTopic(t, c, "av", true)
	if len(got) != 1 || got[0].Value[0] != 0 {
		t.Fatalf("records %v", got)
	}
	opts["scan.bounded.mode"] = "latest-offset"
	src, err := TableFactory().TableSource(ctx, ktable(opts))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := readRows(t, src)
	if len(rows) != 1 || !strings.HasPrefix(rows[0], "+I(9, 'nine', TIMESTAMP '1970-01-01 00:00:09', 'av', 0, 0, ") {
		t.Fatalf("rows %q", rows)
	}
	// The schema is registered under Flink's subject.
	cl, _ := sr.NewClient(sr.URLs(reg.URL()))
	if subs, err := cl.Subjects(ctx); err != nil || !slices.Equal(subs, []string{"av-value"}) {
		t.Fatalf("subjects %v %v", subs, err)
	}
}
