package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// A retried POST with the same producer id, epoch and sequence is acked
// with the first attempt's offsets and not written twice (the journal's
// idempotent producer state, durable across restarts: L10); a gap, a
// reused sequence with other records and a fenced epoch are 409.
func TestHTTPIdempotentProduce(t *testing.T) {
	j, srv, _ := httpJournal(t, HandlerOptions{})
	var reg struct {
		Name  string `json:"name"`
		ID    int64  `json:"producer_id"`
		Epoch uint32 `json:"producer_epoch"`
		Error string `json:"error"`
	}
	if st := doJSON(t, "POST", srv.URL+"/producers", `{"name":"web-1"}`, &reg); st != 200 || reg.Name != "web-1" {
		t.Fatalf("register: %d %+v", st, reg)
	}
	type resp struct {
		Offsets []httpOffsets `json:"offsets"`
		Error   string        `json:"error"`
	}
	produce := func(id int64, epoch uint32, seq int32, vals ...string) (int, resp) {
		t.Helper()
		var recs []string
		for _, v := range vals {
			recs = append(recs, fmt.Sprintf(`{"value":%q,"partition":1}`, v))
		}
		body := fmt.Sprintf(`{"producer_id":%d,"producer_epoch":%d,"sequence":%d,"records":[%s]}`, id, epoch, seq, strings.Join(recs, ","))
		var r resp
		st := doJSON(t, "POST", srv.URL+"/topics/t/records", body, &r)
		return st, r
	}
	st, first := produce(reg.ID, reg.Epoch, 0, "a", "b")
	if st != 200 || len(first.Offsets) != 1 || first.Offsets[0] != (httpOffsets{1, 0, 1}) {
		t.Fatalf("first produce: %d %+v", st, first)
	}
	// The retry (its answer was lost, say): the same offsets, nothing new.
	if st, again := produce(reg.ID, reg.Epoch, 0, "a", "b"); st != 200 || len(again.Offsets) != 1 || again.Offsets[0] != first.Offsets[0] {
		t.Fatalf("retried produce: %d %+v, want %+v", st, again, first)
	}
	if _, end, _ := j.Bounds("t", 1); end != 2 {
		t.Fatalf("end offset %d after a produce and its retry, want 2", end)
	}
	if st, next := produce(reg.ID, reg.Epoch, 2, "c"); st != 200 || next.Offsets[0] != (httpOffsets{1, 2, 2}) {
		t.Fatalf("next produce: %d %+v", st, next)
	}
	for _, c := range []struct {
		name   string
		id     int64
		epoch  uint32
		seq    int32
		status int
		msg    string
	}{
		{"gap", reg.ID, reg.Epoch, 7, 409, "out-of-order sequence"},
		{"reused sequence, other count", reg.ID, reg.Epoch, 0, 409, "duplicate sequence"},
		{"unknown producer", 999, 0, 0, 400, "unknown producer"},
	} {
		vals := []string{"x"}
		if c.name == "reused sequence, other count" {
			vals = []string{"x", "y", "z"}
		}
		if st, r := produce(c.id, c.epoch, c.seq, vals...); st != c.status || !strings.Contains(r.Error, c.msg) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, st, r.Error, c.status, c.msg)
		}
	}
	// A second registration of the name fences the first session.
	var reg2 struct {
		ID    int64  `json:"producer_id"`
		Epoch uint32 `json:"producer_epoch"`
	}
	if st := doJSON(t, "POST", srv.URL+"/producers", `{"name":"web-1"}`, &reg2); st != 200 || reg2.ID != reg.ID || reg2.Epoch != reg.Epoch+1 {
		t.Fatalf("second register: %d %+v after %+v", st, reg2, reg)
	}
	if st, r := produce(reg.ID, reg.Epoch, 3, "late"); st != 409 || !strings.Contains(r.Error, "fenced") {
		t.Fatalf("fenced epoch: %d %+v", st, r)
	}
	if st, r := produce(reg2.ID, reg2.Epoch, 0, "new"); st != 200 || r.Offsets[0] != (httpOffsets{1, 3, 3}) {
		t.Fatalf("new epoch from sequence 0: %d %+v", st, r)
	}
	if _, end, _ := j.Bounds("t", 1); end != 4 {
		t.Fatalf("end offset %d, want 4 (a, b, c, new)", end)
	}
	for _, c := range []struct{ body, msg string }{
		{`{"producer_id":1,"records":[{"value":1,"partition":0}]}`, "go together"},
		{`{"producer_id":-1,"producer_epoch":0,"sequence":0,"records":[{"value":1,"partition":0}]}`, "must not be negative"},
		{`{"producer_id":1,"producer_epoch":0,"sequence":0,"records":[{"value":1}]}`, "same partition"},
		{`{"producer_id":1,"producer_epoch":0,"sequence":0,"records":[{"value":1,"partition":0},{"value":1,"partition":1}]}`, "same partition"},
		{`{"producer_id":1,"producer_epoch":0,"sequence":2147483647,"records":[{"value":1,"partition":0},{"value":1,"partition":0}]}`, "beyond"},
	} {
		var r resp
		if st := doJSON(t, "POST", srv.URL+"/topics/t/records", c.body, &r); st != 400 || !strings.Contains(r.Error, c.msg) {
			t.Errorf("%s: %d %q, want 400 with %q", c.body, st, r.Error, c.msg)
		}
	}
	for _, c := range []struct{ body, msg string }{
		{`{"name":"a/b"}`, "invalid producer name"},
		{`{"name":"x","extra":1}`, "unknown field"},
		{`{}`, "invalid producer name"},
	} {
		var r resp
		if st := doJSON(t, "POST", srv.URL+"/producers", c.body, &r); st != 400 || !strings.Contains(r.Error, c.msg) {
			t.Errorf("/producers %s: %d %q, want 400 with %q", c.body, st, r.Error, c.msg)
		}
	}
	if st := doJSON(t, "GET", srv.URL+"/producers", "", nil); st != 405 {
		t.Errorf("GET /producers: %d, want 405", st)
	}
}

// FuzzDecodeProduce: decodeProduce never panics; what it accepts is
// within its rules, and encoding the accepted request back to JSON decodes
// to the same request.
func FuzzDecodeProduce(f *testing.F) {
	for _, s := range []string{
		`{"records":[{"key":"a","value":{"n":1},"headers":{"h":"v"},"timestamp":1700000000000,"partition":1}]}`,
		`{"records":[{"key":null,"value":"plain text"},{"value":[1,2,3]},{"value":null}]}`,
		`{"producer_id":3,"producer_epoch":1,"sequence":5,"records":[{"value":"x","partition":0},{"value":"y","partition":0}]}`,
		`{"producer_id":3,"records":[{"value":1}]}`,
		`{"records":[{"value":"\u00e9\ud800"}]} {}`,
		`{"records":[]}`,
		`{"records":[{"value":1,"timestamp":-1}]}`,
		`{"records":[{"value":1e400}]}`,
	} {
		f.Add([]byte(s), 2)
	}
	f.Fuzz(func(t *testing.T, body []byte, nparts int) {
		nparts = 1 + (nparts&0xff)%8
		req, err := decodeProduce(bytes.NewReader(body), nparts)
		if err != nil {
			if req != nil {
				t.Fatal("a request and an error")
			}
			if errors.Is(err, errBodyTooLarge) {
				t.Fatalf("too large without a limit: %v", err)
			}
			return
		}
		if len(req.records) == 0 || len(req.parts) != len(req.records) {
			t.Fatalf("%d records, %d partitions", len(req.records), len(req.parts))
		}
		for i, r := range req.records {
			if r.Timestamp < 0 || req.parts[i] < -1 || req.parts[i] >= nparts {
				t.Fatalf("record %d: timestamp %d partition %d", i, r.Timestamp, req.parts[i])
			}
			if req.producer != nil && req.parts[i] != req.parts[0] || req.producer != nil && req.parts[i] < 0 {
				t.Fatalf("producer request with partitions %v", req.parts)
			}
		}
		if p := req.producer; p != nil && (p.ID < 0 || p.Seq < 0) {
			t.Fatalf("producer %+v", p)
		}
		// Back to JSON and again: the same request.
		type rec struct {
			Key       *string           `json:"key"`
			Value     *string           `json:"value"`
			Headers   map[string]string `json:"headers,omitempty"`
			Timestamp int64             `json:"timestamp"`
			Partition *int              `json:"partition,omitempty"`
		}
		var enc struct {
			ProducerID    *int64  `json:"producer_id,omitempty"`
			ProducerEpoch *uint32 `json:"producer_epoch,omitempty"`
			Sequence      *int32  `json:"sequence,omitempty"`
			Records       []rec   `json:"records"`
		}
		if p := req.producer; p != nil {
			enc.ProducerID, enc.ProducerEpoch, enc.Sequence = &p.ID, &p.Epoch, &p.Seq
		}
		for i, r := range req.records {
			e := rec{Timestamp: r.Timestamp}
			if r.Key != nil {
				k := string(r.Key)
				e.Key = &k
			}
			if r.Value != nil {
				v := string(r.Value)
				e.Value = &v
			}
			for _, h := range r.Headers {
				if e.Headers == nil {
					e.Headers = map[string]string{}
				}
				e.Headers[h.Key] = string(h.Value)
			}
			if req.parts[i] >= 0 {
				p := req.parts[i]
				e.Partition = &p
			}
			enc.Records = append(enc.Records, e)
		}
		b, err := json.Marshal(enc)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeProduce(bytes.NewReader(b), nparts)
		if err != nil {
			t.Fatalf("re-encoded %s: %v", b, err)
		}
		if (again.producer == nil) != (req.producer == nil) || again.producer != nil && *again.producer != *req.producer {
			t.Fatalf("producer %+v, then %+v", req.producer, again.producer)
		}
		for i := range req.records {
			if !sameRecord(req.records[i], again.records[i]) || again.parts[i] != req.parts[i] {
				t.Fatalf("record %d: %+v/%d, then %+v/%d (via %s)", i, req.records[i], req.parts[i], again.records[i], again.parts[i], b)
			}
		}
	})
}
