package journal_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	jconn "github.com/stromio/strom/connector/journal"
	jl "github.com/stromio/strom/journal"
	"github.com/stromio/strom/table"
)

func jschema() table.Schema {
	return table.Schema{Columns: []table.Column{
		{Name: "id", Type: table.BigIntType().NotNull()},
		{Name: "name", Type: table.StringType()},
		{Name: "p", Type: table.IntType(), Metadata: "partition", Virtual: true},
		{Name: "off", Type: table.BigIntType(), Metadata: "offset", Virtual: true},
		{Name: "ts", Type: table.TimestampLTZType(3), Metadata: "timestamp"},
	}}
}

func jtable(opts ...string) connector.TableContext {
	m := map[string]string{"topic": "t", "format": "json"}
	for i := 0; i+1 < len(opts); i += 2 {
		m[opts[i]] = opts[i+1]
	}
	return connector.TableContext{Name: "events", Schema: jschema(), Options: m}
}

func readTableRows(t *testing.T, src connector.Source[table.Row]) ([]string, []connector.DeadLetter) {
	t.Helper()
	ctx := context.Background()
	splits, err := src.Splits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var dead []connector.DeadLetter
	for _, sp := range splits {
		r, err := src.Open(ctx, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]table.Row, 2)
		for {
			n, err := r.Read(ctx, buf)
			for _, row := range buf[:n] {
				out = append(out, row.String())
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		dead = r.(connector.DeadLetterReader).TakeDeadLetters(dead)
		_ = r.Close()
	}
	slices.Sort(out)
	return out, dead
}

func TestTableJournal(t *testing.T) {
	ctx := context.Background()
	j := openJournal(t)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(ctx, "t", 0,
		jl.Record{Value: []byte(`{"id":1,"name":"a"}`), Timestamp: 1000},
		jl.Record{Value: []byte(`{"name":"b"}`), Timestamp: 2000},
		jl.Record{Value: []byte(`{"id":3}`), Timestamp: 3000}); err != nil {
		t.Fatal(err)
	}
	f := jconn.TableFactory(j)
	src, err := f.TableSource(ctx, jtable("scan.bounded.mode", "latest-offset", "on-error", "dlq"))
	if err != nil {
		t.Fatal(err)
	}
	rows, dead := readTableRows(t, src)
	want := []string{
		"+I(1, 'a', 0, 0, TIMESTAMP '1970-01-01 00:00:01')",
		"+I(3, NULL, 0, 2, TIMESTAMP '1970-01-01 00:00:03')",
	}
	if !slices.Equal(rows, want) {
		t.Fatalf("got  %q\nwant %q", rows, want)
	}
	if len(dead) != 1 || dead[0].ErrorClass != "json" {
		t.Fatalf("dead letters %+v", dead)
	}

	// Exactly-once sink of a changelog, then read back.
	if err := j.CreateTopic("out", 1); err != nil {
		t.Fatal(err)
	}
	sink, err := f.TableSink(ctx, jtable("topic", "out"), true)
	if err != nil {
		t.Fatal(err)
	}
	w, err := sink.Open(ctx, connector.SinkInfo{Subtask: 0, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []table.Row{
		{Kind: table.Insert, Fields: []table.Value{table.Int(5), table.Str("x"), table.Null, table.Null, table.TimestampMillis(5000)}},
		{Kind: table.Delete, Fields: []table.Value{table.Int(5), table.Str("x"), table.Null, table.Null, table.Null}},
	} {
		if err := w.Write(r, 9000); err != nil {
			t.Fatal(err)
		}
	}
	c, err := w.(connector.TransactionalWriter[table.Row]).PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	if err := sink.(connector.Committer).Commit(ctx, [][]byte{c}); err != nil {
		t.Fatal(err)
	}
	raw, err := j.Read(ctx, "out", 0, 0, jl.ReadOptions{Isolation: jl.ReadCommitted})
	if err != nil {
		t.Fatal(err)
	}
	var vals []string
	for _, m := range raw {
		vals = append(vals, string(m.Value))
	}
	if !slices.Equal(vals, []string{`{"op":"+I","id":5,"name":"x"}`, `{"op":"-D","id":5,"name":"x"}`}) {
		t.Fatalf("values %q", vals)
	}
	src, _ = f.TableSource(ctx, jtable("topic", "out", "scan.bounded.mode", "latest-offset"))
	rows, _ = readTableRows(t, src)
	if len(rows) != 2 || rows[0] != "+I(5, 'x', 0, 0, TIMESTAMP '1970-01-01 00:00:05')" || !strings.HasPrefix(rows[1], "+I(5, 'x', 0, 1, TIMESTAMP '1970-01-01 00:00:09") {
		t.Fatalf("read back %q", rows)
	}
}

func TestTableJournalOptions(t *testing.T) {
	ctx := context.Background()
	f := jconn.TableFactory(openJournal(t))
	for _, tc := range []struct {
		tc   connector.TableContext
		sink bool
		want string
	}{
		{jtable("topic", "t", "scan.startup.mode", "group-offsets"), false, `strom: table "events": connector 'journal': 'scan.startup.mode' = 'group-offsets' needs 'group.id'`},
		{jtable("scan.bounded.mode", "bounded"), false, `strom: table "events": connector 'journal': option 'scan.bounded.mode' is 'bounded', want one of 'unbounded', 'latest-offset'`},
		{jtable("format", "avro-confluent"), false, `strom: table "events": connector 'journal': option 'format' is 'avro-confluent', want one of 'json', 'csv', 'raw', 'avro'`},
		{jtable("properties.bootstrap.servers", "x"), false, `strom: table "events": connector 'journal': unknown option 'properties.bootstrap.servers' (allowed: 'csv.field-delimiter', 'csv.null-literal', 'format', 'group.id', 'json.timestamp-format.standard', 'on-error', 'scan.bounded.mode', 'scan.commit-offsets', 'scan.isolation-level', 'scan.startup.mode', 'sink.delivery-guarantee', 'sink.parallelism', 'sink.transaction-timeout', 'sink.transactional-id-prefix', 'topic')`},
		{jtable("sink.delivery-guarantee", "none"), true, `strom: table "events": connector 'journal': option 'sink.delivery-guarantee' is 'none', want one of 'exactly-once', 'at-least-once'`},
		{jtable("format", "csv"), true, `strom: table "events": connector 'journal': format 'csv' cannot write updates (rows of kind -U, +U, -D): use 'json', which writes the "op" field`},
	} {
		var err error
		if tc.sink {
			_, err = f.TableSink(ctx, tc.tc, true)
		} else {
			_, err = f.TableSource(ctx, tc.tc)
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v:\n got %v\nwant %s", tc.tc.Options, err, tc.want)
		}
	}
	bad := jtable()
	bad.Schema.Columns[2].Virtual = false
	if _, err := f.TableSink(ctx, bad, false); err == nil || err.Error() != `strom: table "events": connector 'journal': column "p": metadata 'partition' is read-only: declare it VIRTUAL` {
		t.Error(err)
	}
}
