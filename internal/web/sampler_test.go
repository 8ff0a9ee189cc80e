package web

import (
	"encoding/json"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/cluster"
)

// viewBackend is fakeBackend whose job j1 has a source vertex whose output
// is out.
type viewBackend struct {
	*fakeBackend
	out atomic.Int64
}

func (b *viewBackend) Job(id string) (JobInfo, error) {
	ji, err := b.fakeBackend.Job(id)
	if err != nil || id != "j1" {
		return ji, err
	}
	op := cluster.OperatorView{Name: "src", UID: "u"}
	op.Subtasks = slices.Grow(op.Subtasks, 1)[:1]
	op.Subtasks[0].RecordsOut = b.out.Load()
	op.Subtasks[0].BytesRead, op.Subtasks[0].ReadCounted = 10*b.out.Load(), true // 10 bytes a record
	op.Subtasks[0].Lags = []connector.SplitLag{{Connector: "journal", Topic: "t", Partition: 0, Position: b.out.Load(), End: 3000},
		{Connector: "journal", Topic: "t", Partition: 1, Position: 0, End: 500}}
	ji.View = []cluster.VertexView{{ID: 1, Name: "src", Parallelism: 1, Operators: []cluster.OperatorView{op}}}
	return ji, nil
}

// The rates come from the server's sampler: every reader gets the same
// figures over the sampler's interval, however many ask.
func TestSamplerRates(t *testing.T) {
	b := &viewBackend{fakeBackend: newFake()}
	s, err := New(Config{Addr: "127.0.0.1:0", Token: testToken, ReadOnlyToken: testROToken, Tick: time.Hour, Logger: quietLogger()}, b)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	for { // the sampler's first sample, at its start
		if _, ok := s.sampled.Load("j1"); ok {
			break
		}
		time.Sleep(time.Millisecond)
	}
	t0 := time.Now().Add(time.Hour)
	s.sampleOnce(t0)
	b.out.Store(1000)
	s.sampleOnce(t0.Add(2 * time.Second))
	b.out.Store(5000) // not sampled yet
	var docs [2]MetricsDoc
	for i := range docs {
		rec := do(s, "GET", "/api/v1/jobs/j1/metrics", testROToken, "")
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &docs[i]) != nil {
			t.Fatalf("metrics: %d %s", rec.Code, rec.Body)
		}
	}
	for _, d := range docs {
		if len(d.Vertices) != 1 || d.Vertices[0].RecordsOutPerSecond != 500 || d.Vertices[0].RecordsOut != 1000 || !d.Time.Equal(t0.Add(2*time.Second)) {
			t.Fatalf("doc %+v", d)
		}
		// Bytes read (the source counts them) and their rate; no bytes
		// written (nothing counts them: null, not 0).
		v := d.Vertices[0]
		if v.BytesRead == nil || *v.BytesRead != 10000 || v.BytesReadPerSecond == nil || *v.BytesReadPerSecond != 5000 ||
			v.BytesWritten != nil || v.BytesWritePerSecond != nil || len(v.Operators) != 1 || v.Operators[0].BytesReadPerSecond == nil ||
			*v.Operators[0].BytesReadPerSecond != 5000 {
			t.Fatalf("bytes of %+v", v)
		}
		// The live lag of the sampled view: 2000 + 500 records pending.
		if v.PendingRecords == nil || *v.PendingRecords != 2500 || v.Operators[0].PendingRecords == nil || *v.Operators[0].PendingRecords != 2500 {
			t.Fatalf("pending records of %+v", v)
		}
	}
	var list struct{ Jobs []JobSummary }
	rec := do(s, "GET", "/api/v1/jobs", testROToken, "")
	if json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list.Jobs) != 1 || list.Jobs[0].RecordsPerSecond != 500 {
		t.Fatalf("jobs %s", rec.Body)
	}
}
