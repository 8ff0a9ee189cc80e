package server

import (
	"strings"
	"testing"

	"github.com/stromio/strom/internal/web"
)

// An INSERT job into an exactly-once journal table whose transaction
// timeout is not larger than the job's checkpoint interval plus the
// server's longest restart delay (1 s doubling up to 1 min) is refused at
// submit (400) with the figures and the option to raise; a timeout above
// them is accepted.
func TestJournalTableTransactionTimeout(t *testing.T) {
	ts := startServer(t, t.TempDir())
	if c := ts.call(t, "POST", "/api/v1/journal/topics", map[string]any{"name": "bids", "partitions": 1}, nil); c != 201 {
		t.Fatalf("create topic: %d", c)
	}
	ins := func(sink string) string {
		return `CREATE TABLE nx (event_type INT, bid ROW<auction BIGINT, price BIGINT>) WITH ('connector' = 'nexmark', 'events.num' = '50');
CREATE TABLE bids (auction BIGINT, price BIGINT) WITH ('connector' = 'journal', 'topic' = 'bids', 'format' = 'json'` + sink + `);
INSERT INTO bids SELECT bid.auction, bid.price FROM nx WHERE event_type = 2;`
	}
	var e struct {
		Error        string
		Line, Column int
	}
	c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: ins(""), CheckpointInterval: "20m"}, &e)
	if c != 400 || e.Line != 3 || !strings.Contains(e.Error, "table \"bids\": connector 'journal'") ||
		!strings.Contains(e.Error, "transaction timeout 15m0s (option 'sink.transaction-timeout') is not larger than the job's checkpoint interval 20m0s + restart delay 1m0s") ||
		!strings.Contains(e.Error, "raise 'sink.transaction-timeout' above 21m0s") {
		t.Fatalf("default timeout under a 20m interval: %d %+v", c, e)
	}
	var js web.JobSummary
	if c := ts.call(t, "POST", "/api/v1/jobs", web.SubmitRequest{SQL: ins(`, 'sink.transaction-timeout' = '22 min'`), CheckpointInterval: "20m"}, &js); c != 201 {
		t.Fatalf("a 22 min timeout under a 20m interval: %d", c)
	}
	poll(t, "the INSERT finished", func() bool { return ts.state(t, js.ID) == web.StateFinished })
}
