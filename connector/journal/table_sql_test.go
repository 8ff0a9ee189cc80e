package journal_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	jconn "github.com/stromio/strom/connector/journal"
	jl "github.com/stromio/strom/journal"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
)

// sqlTimeoutScript is an INSERT from a bounded journal table into an
// exactly-once (by default) journal table with the WITH options of sink.
func sqlTimeoutScript(sink string) string {
	return `CREATE TABLE src (id BIGINT, name STRING) WITH ('connector' = 'journal', 'topic' = 'in', 'format' = 'json', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE out (id BIGINT, name STRING) WITH ('connector' = 'journal', 'topic' = 'out', 'format' = 'json'` + sink + `);
INSERT INTO out SELECT id, name FROM src;`
}

// TestTableJournalSQLTransactionTimeout: an SQL INSERT into an
// exactly-once journal table is refused at submit when the table's
// transaction timeout is not larger than the job's checkpoint interval
// plus its longest restart delay, which the session carries into the
// table's context.
func TestTableJournalSQLTransactionTimeout(t *testing.T) {
	ctx := context.Background()
	// 10 min checkpoints; restarts after 1, 2, then 3 min (4 capped).
	restart := &stream.RestartStrategy{MaxAttempts: 3, Delay: time.Minute, Backoff: 2, MaxDelay: 3 * time.Minute}
	run := func(t *testing.T, interval time.Duration, rs *stream.RestartStrategy, sink string) (*jl.Journal, error) {
		t.Helper()
		j := openJournal(t)
		for _, topic := range []string{"in", "out"} {
			if err := j.CreateTopic(topic, 1); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := j.Append(ctx, "in", 0, jl.Record{Value: []byte(`{"id":1,"name":"a"}`)}); err != nil {
			t.Fatal(err)
		}
		opts := streamsql.Options{Factories: []connector.TableFactory{jconn.TableFactory(j)}, Restart: rs}
		if interval > 0 {
			opts.Checkpoints = &stream.CheckpointOptions{Dir: t.TempDir(), Interval: interval}
		}
		_, err := streamsql.NewSession(opts).Exec(ctx, sqlTimeoutScript(sink))
		return j, err
	}

	t.Run("too short", func(t *testing.T) {
		_, err := run(t, 10*time.Minute, restart, `, 'sink.transaction-timeout' = '13 min'`)
		want := "line 3, column 1: table \"out\": connector 'journal': " +
			"transaction timeout 13m0s (option 'sink.transaction-timeout') is not larger than the job's checkpoint interval 10m0s + restart delay 3m0s: " +
			"transactions would be aborted before the checkpoint after them commits them; raise 'sink.transaction-timeout' above 13m0s or shorten the checkpoint interval"
		if err == nil || err.Error() != want {
			t.Fatalf("got  %v\nwant %s", err, want)
		}
	})
	t.Run("default too short", func(t *testing.T) {
		// The default timeout (15 min) against 14 min + 1 min.
		_, err := run(t, 14*time.Minute, &stream.RestartStrategy{MaxAttempts: 1, Delay: time.Minute}, "")
		if err == nil || !strings.Contains(err.Error(), "transaction timeout 15m0s (option 'sink.transaction-timeout') is not larger than the job's checkpoint interval 14m0s + restart delay 1m0s") {
			t.Fatalf("got %v, want the default timeout refused", err)
		}
	})
	t.Run("long enough", func(t *testing.T) {
		j, err := run(t, 10*time.Minute, restart, `, 'sink.transaction-timeout' = '781 s'`)
		if err != nil && strings.Contains(err.Error(), "transaction timeout") {
			t.Fatalf("refused a timeout above interval + restart: %v", err)
		}
		if err != nil {
			t.Fatal(err)
		}
		src, err := jconn.TableFactory(j).TableSource(ctx, connector.TableContext{Name: "check", Schema: jschema(),
			Options: map[string]string{"topic": "out", "format": "json", "scan.bounded.mode": "latest-offset"}})
		if err != nil {
			t.Fatal(err)
		}
		if rows, _ := readTableRows(t, src); len(rows) != 1 || !strings.HasPrefix(rows[0], "+I(1, 'a'") {
			t.Fatalf("out holds %q, want the row of id 1", rows)
		}
	})
	t.Run("at-least-once is not checked", func(t *testing.T) {
		if _, err := run(t, 10*time.Minute, restart, `, 'sink.delivery-guarantee' = 'at-least-once', 'sink.transaction-timeout' = '1 min'`); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no checkpoints, no check", func(t *testing.T) {
		if _, err := run(t, 0, nil, `, 'sink.transaction-timeout' = '1 s'`); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTableJournalTransactionTimeoutOption(t *testing.T) {
	j := openJournal(t)
	f := jconn.TableFactory(j)
	for _, v := range []string{"0 s", "soon"} {
		_, err := f.TableSink(context.Background(), jtable("sink.transaction-timeout", v), false)
		if err == nil || !strings.Contains(err.Error(), "option 'sink.transaction-timeout' is '"+v+"'") {
			t.Errorf("'sink.transaction-timeout' = '%s': got %v, want it refused", v, err)
		}
	}
}
