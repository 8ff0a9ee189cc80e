package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/stromio/strom/internal/web"
)

// A job whose Kafka source commits its checkpoints' offsets to a group
// shows its committed lag (JobMetrics.Lags, strom_source_committed_lag_records
// with connector="kafka"), and its readers the live lag
// (strom_source_lag_records, pending_records of the metrics document): 0 once it caught up; after the job was cancelled
// and records were produced, a job starting at the group's offsets that
// takes no checkpoint yet is those records behind. The lag clients close
// when a job ends; promtool accepts /metrics. A broker that is down
// costs a scrape at most its timeout and keeps the last known lag.
func TestKafkaLagMetrics(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "bids"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	addr := c.ListenAddrs()[0]
	prod, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)
	produce := func(part int32, n int) {
		t.Helper()
		var recs []*kgo.Record
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: "bids", Partition: part, Value: fmt.Appendf(nil, `{"auction":%d,"price":%d}`, i, 10*i)})
		}
		if err := prod.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produce(0, 5)
	produce(1, 3)

	ts := startServerWith(t, t.TempDir(), func(cfg *Config) { cfg.AllowHosts = []string{addr} })
	ddl := func(extra string) string {
		return `CREATE TABLE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'kafka', 'topic' = 'bids', 'format' = 'json',
  'properties.bootstrap.servers' = '` + addr + `', 'properties.group.id' = 'reader',
  'properties.commit.offsets.on.checkpoint' = 'true'` + extra + `);
CREATE TABLE out (auction BIGINT, price BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out SELECT auction, price FROM bids;`
	}
	// lagsAre reports whether the job's Kafka lags are want (by partition).
	lagsAre := func(id string, want map[int32]int64) bool {
		for _, m := range ts.srv.MetricsSource() {
			if m.JobID != id {
				continue
			}
			if len(m.Lags) != len(want) {
				return false
			}
			for _, l := range m.Lags {
				if w, ok := want[l.Partition]; !ok || l.Connector != "kafka" || l.Topic != "bids" || l.Lag != w {
					return false
				}
			}
			return true
		}
		return false
	}

	var js web.JobSummary
	if code := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{Name: "reader", SQL: ddl("")}, &js); code != 201 {
		t.Fatalf("submit: %d", code)
	}
	first := js.ID
	poll(t, "the reader's lag reaches 0", func() bool { return lagsAre(first, map[int32]int64{0: 0, 1: 0}) })
	if code := ts.call(t, "POST", "/api/v1/jobs/"+first+"/cancel", nil, nil); code != 200 {
		t.Fatalf("cancel: %d", code)
	}
	poll(t, "the reader cancelled", func() bool { return ts.state(t, first) == web.StateCancelled })
	jb, err := ts.srv.job(first)
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the ended job's lag clients closed", func() bool {
		jb.kafka.mu.Lock()
		defer jb.kafka.mu.Unlock()
		return jb.kafka.closed && jb.kafka.clients == nil
	})

	// Behind by 7 records on partition 0: the second job starts at the
	// group's offsets and commits nothing before its first checkpoint (1h).
	produce(0, 7)
	if code := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{Name: "late", SQL: ddl(", 'scan.startup.mode' = 'group-offsets'"), CheckpointInterval: "1h"}, &js); code != 201 {
		t.Fatalf("submit the second reader: %d", code)
	}
	poll(t, "the second reader's lag is 7 on partition 0", func() bool { return lagsAre(js.ID, map[int32]int64{0: 7, 1: 0}) })

	// The committed lag stays 7 until the job's first checkpoint, while
	// the live lag from its readers reaches 0 as it reads the 7 records:
	// two names, never two series with the same labels.
	var body string
	poll(t, "the live lag 0 in /metrics", func() bool {
		rec := httptest.NewRecorder()
		web.NewMetricsHandler(ts.srv.MetricsSource, ts.srv.JournalCollector()).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body = rec.Body.String()
		return strings.Contains(body, `strom_source_lag_records{connector="kafka",job_id="`+js.ID+`",partition="0",topic="bids"} 0`) &&
			strings.Contains(body, `strom_source_lag_records{connector="kafka",job_id="`+js.ID+`",partition="1",topic="bids"} 0`)
	})
	for _, want := range []string{`strom_source_committed_lag_records{connector="kafka",job_id="` + js.ID + `",partition="0",topic="bids"} 7`,
		`strom_source_committed_lag_records{connector="kafka",job_id="` + js.ID + `",partition="1",topic="bids"} 0`} {
		if !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %s:\n%s", want, body)
		}
	}
	// The metrics document (the sampler's, once a second) shows the live
	// lag on the source vertex, and only there.
	poll(t, "pending_records 0 on the source vertex", func() bool {
		var doc web.MetricsDoc
		if code := ts.call(t, "GET", "/api/v1/jobs/"+js.ID+"/metrics", nil, &doc); code != 200 {
			t.Fatalf("metrics: %d", code)
		}
		var with []int64
		for _, v := range doc.Vertices {
			if v.PendingRecords != nil {
				with = append(with, *v.PendingRecords)
			}
		}
		if len(with) > 1 {
			t.Fatalf("pending_records on %d of %d vertices, want the source's only", len(with), len(doc.Vertices))
		}
		return len(with) == 1 && with[0] == 0
	})
	if strings.Contains(body, `job_id="`+first+`"`) {
		t.Fatalf("/metrics shows the cancelled job:\n%s", body)
	}
	if p, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(p, "check", "metrics")
		cmd.Stdin = strings.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("promtool: %v\n%s", err, out)
		}
	} else {
		t.Log("promtool not found: the exposition is not checked")
	}

	// A broker that does not answer: the scrape ends within its timeout
	// and shows the last known lag.
	c.Close()
	start := time.Now()
	if !lagsAre(js.ID, map[int32]int64{0: 7, 1: 0}) {
		t.Fatal("the last known lag is gone while the broker is down")
	}
	if d := time.Since(start); d > kafkaLagTimeout+3*time.Second {
		t.Fatalf("a scrape with the broker down took %v", d)
	}
}
