package kafka

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestTableKafkaSQLTransactionTimeout: an SQL INSERT into an exactly-once
// Kafka table (kfake) is refused at submit when
// 'properties.transaction.timeout.ms' is not larger than the job's
// checkpoint interval plus its longest restart delay, which the session
// carries into the table's context.
func TestTableKafkaSQLTransactionTimeout(t *testing.T) {
	ctx := context.Background()
	// 10 min checkpoints; restarts after 1, 2, then 3 min (4 capped).
	restart := &stream.RestartStrategy{MaxAttempts: 3, Delay: time.Minute, Backoff: 2, MaxDelay: 3 * time.Minute}
	run := func(t *testing.T, interval time.Duration, sink string) (Cluster, error) {
		t.Helper()
		c := fakeCluster(t, 1, "in", "out")
		if err := client(t, c).ProduceSync(ctx, &kgo.Record{Topic: "in", Value: []byte(`{"id":1,"name":"a"}`)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		brokers := strings.Join(c.Brokers, ",")
		script := `CREATE TABLE src (id BIGINT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'in', 'properties.bootstrap.servers' = '` + brokers + `', 'format' = 'json', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE out (id BIGINT, name STRING) WITH ('connector' = 'kafka', 'topic' = 'out', 'properties.bootstrap.servers' = '` + brokers + `', 'format' = 'json'` + sink + `);
INSERT INTO out SELECT id, name FROM src;`
		opts := streamsql.Options{Factories: []connector.TableFactory{TableFactory()}, Restart: restart,
			Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), Interval: interval}}
		_, err := streamsql.NewSession(opts).Exec(ctx, script)
		return c, err
	}
	const eo = `, 'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'sqltest'`

	t.Run("too short", func(t *testing.T) {
		_, err := run(t, 10*time.Minute, eo+`, 'properties.transaction.timeout.ms' = '780000'`)
		want := "line 3, column 1: table \"out\": connector 'kafka': " +
			"transaction timeout 13m0s (option 'properties.transaction.timeout.ms') is not larger than the job's checkpoint interval 10m0s + restart delay 3m0s: " +
			"transactions would be aborted before the checkpoint after them commits them; raise 'properties.transaction.timeout.ms' above 13m0s or shorten the checkpoint interval"
		if err == nil || err.Error() != want {
			t.Fatalf("got  %v\nwant %s", err, want)
		}
	})
	t.Run("default too short", func(t *testing.T) {
		// The default timeout (15 min) against 12 min + 3 min.
		_, err := run(t, 12*time.Minute, eo)
		if err == nil || !strings.Contains(err.Error(), "transaction timeout 15m0s (option 'properties.transaction.timeout.ms') is not larger than the job's checkpoint interval 12m0s + restart delay 3m0s") {
			t.Fatalf("got %v, want the default timeout refused", err)
		}
	})
	t.Run("long enough", func(t *testing.T) {
		c, err := run(t, 10*time.Minute, eo+`, 'properties.transaction.timeout.ms' = '781000'`)
		if err != nil {
			t.Fatal(err)
		}
		got := readTopic(t, c, "out", true)
		if len(got) != 1 || !strings.Contains(string(got[0].Value), `"id":1`) {
			t.Fatalf("out holds %v, want the row of id 1", got)
		}
	})
	t.Run("at-least-once is not checked", func(t *testing.T) {
		if _, err := run(t, 10*time.Minute, `, 'sink.delivery-guarantee' = 'at-least-once', 'properties.transaction.timeout.ms' = '60000'`); err != nil {
			t.Fatal(err)
		}
	})
}
