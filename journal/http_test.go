package journal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// httpJournal opens a journal with topic "t" (2 partitions) and serves it.
func httpJournal(t *testing.T, hopts HandlerOptions) (*Journal, *httptest.Server, *atomic.Int32) {
	t.Helper()
	j := mustOpen(t, t.TempDir(), quietOpts(nil, nil))
	if err := j.CreateTopic("t", 2); err != nil {
		t.Fatal(err)
	}
	if hopts.Logger == nil {
		hopts.Logger = quietOpts(nil, nil).Logger
	}
	h := NewHandler(j, hopts)
	active := new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		active.Add(1)
		defer active.Add(-1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		j.Close()
	})
	return j, srv, active
}

func doJSON(t *testing.T, method, url, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s %s: content type %q, body %s", method, url, ct, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, b)
		}
	}
	return resp.StatusCode
}

type fetchResp struct {
	Records    []MessageJSON `json:"records"`
	NextOffset int64         `json:"next_offset"`
	Error      string        `json:"error"`
	Start      *int64        `json:"start_offset"`
	End        *int64        `json:"end_offset"`
}

func TestHTTPProduceFetch(t *testing.T) {
	_, srv, _ := httpJournal(t, HandlerOptions{MaxRecords: 3})
	var pr struct {
		Offsets []httpOffsets `json:"offsets"`
	}
	body := `{"records":[
		{"key":"a","value":{"n":1},"headers":{"h":"v"},"timestamp":1700000000000,"partition":1},
		{"key":null,"value":"plain text","partition":1},
		{"value":[1, 2, 3],"partition":1},
		{"value":null,"partition":1},
		{"key":"k","value":7,"partition":0}]}`
	if st := doJSON(t, "POST", srv.URL+"/topics/t/records", body, &pr); st != 200 {
		t.Fatalf("produce: %d %+v", st, pr)
	}
	if len(pr.Offsets) != 2 || pr.Offsets[0] != (httpOffsets{0, 0, 0}) || pr.Offsets[1] != (httpOffsets{1, 0, 3}) {
		t.Fatalf("offsets %+v", pr.Offsets)
	}
	var fr fetchResp
	if st := doJSON(t, "GET", srv.URL+"/topics/t/partitions/1/records?offset=0&max=100", "", &fr); st != 200 {
		t.Fatalf("fetch: %d %+v", st, fr)
	}
	if len(fr.Records) != 3 || fr.NextOffset != 3 { // max cut to MaxRecords
		t.Fatalf("fetch: %+v", fr)
	}
	r0 := fr.Records[0]
	if *r0.Key != "a" || string(r0.Value) != `{"n":1}` || *r0.Headers["h"] != "v" || r0.Timestamp != 1700000000000 || r0.Partition != 1 {
		t.Fatalf("record 0: %+v", r0)
	}
	if fr.Records[1].Key != nil || string(fr.Records[1].Value) != `"plain text"` || string(fr.Records[2].Value) != `[1,2,3]` || fr.Records[2].Offset != 2 {
		t.Fatalf("records 1, 2: %+v", fr.Records[1:])
	}
	if st := doJSON(t, "GET", srv.URL+"/topics/t/partitions/1/records?offset=3&isolation=read_committed", "", &fr); st != 200 ||
		len(fr.Records) != 1 || string(fr.Records[0].Value) != "null" || fr.NextOffset != 4 {
		t.Fatalf("fetch at 3: %d %+v", st, fr)
	}
	// At the end: nothing, same next offset.
	if st := doJSON(t, "GET", srv.URL+"/topics/t/partitions/1/records?offset=4", "", &fr); st != 200 || len(fr.Records) != 0 || fr.NextOffset != 4 {
		t.Fatalf("fetch at the end: %d %+v", st, fr)
	}
	// Unkeyed records without a partition go together to one partition.
	if st := doJSON(t, "POST", srv.URL+"/topics/t/records", `{"records":[{"value":"x"},{"value":"y"}]}`, &pr); st != 200 || len(pr.Offsets) != 1 || pr.Offsets[0].Last-pr.Offsets[0].First != 1 {
		t.Fatalf("unkeyed produce: %d %+v", st, pr)
	}
	var tr struct {
		Topics []httpTopicInfo `json:"topics"`
	}
	if st := doJSON(t, "GET", srv.URL+"/topics", "", &tr); st != 200 || len(tr.Topics) != 1 || tr.Topics[0].Name != "t" || len(tr.Topics[0].Partitions) != 2 {
		t.Fatalf("topics: %d %+v", st, tr)
	}
	if got := tr.Topics[0].Partitions[0].EndOffset + tr.Topics[0].Partitions[1].EndOffset; got != 7 {
		t.Fatalf("topics: end offsets sum to %d, want 7: %+v", got, tr)
	}
}

func TestHTTPErrors(t *testing.T) {
	_, srv, _ := httpJournal(t, HandlerOptions{MaxBodyBytes: 1000})
	doJSON(t, "POST", srv.URL+"/topics/t/records", `{"records":[{"value":1,"partition":0},{"value":2,"partition":0}]}`, nil)
	var er fetchResp
	big := `{"records":[{"value":"` + strings.Repeat("x", 2000) + `"}]}`
	for _, c := range []struct {
		method, path, body string
		status             int
		msg                string
	}{
		{"POST", "/topics/t/records", big, 413, "limit"},
		{"POST", "/topics/t/records", `{"records":[`, 400, "invalid JSON"},
		{"POST", "/topics/t/records", `{"records":[{"value":1}]} {}`, 400, "after the JSON"},
		{"POST", "/topics/t/records", `{"records":[{"valeu":1}]}`, 400, "unknown field"},
		{"POST", "/topics/t/records", `{"records":[]}`, 400, "no records"},
		{"POST", "/topics/t/records", `{"records":[{"value":1,"key":5}]}`, 400, `invalid JSON body: field "records.key": want a string, got JSON number`},
		{"POST", "/topics/t/records", `{"records":[{"value":1,"headers":{"h":1}}]}`, 400, `field "records.headers": want a string, got JSON number`},
		{"POST", "/topics/t/records", `{"records":[{"value":1,"headers":"h"}]}`, 400, `field "records.headers": want an object of strings, got JSON string`},
		{"POST", "/topics/t/records", `{"records":[{"value":1,"timestamp":"now"}]}`, 400, `field "records.timestamp": want an integer of 64 bits, got JSON string`},
		{"POST", "/topics/t/records", `{"producer_id":1,"producer_epoch":-1,"sequence":0,"records":[{"value":1}]}`, 400, `field "producer_epoch": want an integer from 0 to 2^32-1, got JSON number -1`},
		{"POST", "/topics/t/records", `{"records":{"value":1}}`, 400, `field "records": want an array, got JSON object`},
		{"POST", "/topics/t/records", `{"records":[{"value":1,"partition":2}]}`, 400, "partition 2 outside"},
		{"POST", "/topics/t/records", `{"records":[{"value":1,"timestamp":-1}]}`, 400, "negative timestamp"},
		{"POST", "/topics/t%2F..%2Fx/records", `{"records":[{"value":1}]}`, 400, "invalid topic name"},
		{"POST", "/topics/t$/records", `{"records":[{"value":1}]}`, 400, "invalid topic name"},
		{"POST", "/topics/nope/records", `{"records":[{"value":1}]}`, 404, `no topic "nope": GET /topics lists the topics (a produce does not create one)`},
		{"GET", "/topics/nope/partitions/0/records", "", 404, `no topic "nope": GET /topics lists the topics`},
		{"GET", "/topics/nope/partitions/0/tail", "", 404, `no topic "nope": GET /topics lists the topics`},
		{"GET", "/topics/t/partitions/2/records", "", 404, `topic "t" has no partition 2 (it has 2); GET /topics lists the topics and their partitions`},
		{"GET", "/topics/t/partitions/-1/records", "", 400, "invalid partition"},
		{"GET", "/topics/t/partitions/0x1/records", "", 400, "invalid partition"},
		{"GET", "/topics/t/partitions/0/records?offset=3", "", 416, "valid offsets are [0, 2]"},
		{"GET", "/topics/t/partitions/0/records?offset=-1", "", 400, "invalid offset"},
		{"GET", "/topics/t/partitions/0/records?max=0", "", 400, "invalid max"},
		{"GET", "/topics/t/partitions/0/records?isolation=dirty", "", 400, "invalid isolation"},
		{"GET", "/topics/t/partitions/0/tail?offset=9", "", 416, "valid offsets are [0, 2]"},
		{"DELETE", "/topics/t/records", "", 405, "not allowed"},
		{"GET", "/elsewhere", "", 404, "no such route"},
	} {
		er = fetchResp{}
		if st := doJSON(t, c.method, srv.URL+c.path, c.body, &er); st != c.status || !strings.Contains(er.Error, c.msg) {
			t.Errorf("%s %s: %d %q, want %d with %q", c.method, c.path, st, er.Error, c.status, c.msg)
		}
		if c.status == 416 && (er.Start == nil || *er.Start != 0 || *er.End != 2) {
			t.Errorf("%s: range %v %v", c.path, er.Start, er.End)
		}
	}
}

func TestHTTPReadCommitted(t *testing.T) {
	ctx := context.Background()
	j, srv, _ := httpJournal(t, HandlerOptions{})
	p, err := j.NewTransactionalProducer(ctx, "tx")
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, rec("a"))
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Append(ctx, "t", 0, rec("x")); err != nil {
		t.Fatal(err)
	}
	values := func(iso string) string {
		var fr fetchResp
		if st := doJSON(t, "GET", srv.URL+"/topics/t/partitions/0/records?isolation="+iso, "", &fr); st != 200 {
			t.Fatalf("fetch %s: %d %+v", iso, st, fr)
		}
		var vs []string
		for _, r := range fr.Records {
			vs = append(vs, string(r.Value))
		}
		return strings.Join(vs, ",")
	}
	if got := values("read_committed"); got != `"a"` {
		t.Fatalf("read_committed with an open transaction: %s", got)
	}
	if got := values("read_uncommitted"); got != `"a","x"` {
		t.Fatalf("read_uncommitted: %s", got)
	}
	if err := p.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := values("read_committed"); got != `"a","x"` {
		t.Fatalf("read_committed after the commit: %s", got)
	}
}

type sseEvent struct{ id, event, data string }

// sse reads events (and comments, as event "comment") from body until it
// ends; the channel is closed then.
func sse(body io.Reader) <-chan sseEvent {
	ch := make(chan sseEvent, 100)
	go func() {
		defer close(ch)
		br := bufio.NewReader(body)
		var e sseEvent
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if e != (sseEvent{}) {
					ch <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, ":"):
				e.event, e.data = "comment", line
			case strings.HasPrefix(line, "id: "):
				e.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				e.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				e.data = line[6:]
			}
		}
	}()
	return ch
}

// next returns the next event that is not a comment, or with comment set
// the next comment containing it.
func next(t *testing.T, ch <-chan sseEvent, comment string) sseEvent {
	t.Helper()
	timeout := time.After(3 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatal("stream ended")
			}
			if comment == "" && e.event != "comment" || comment != "" && strings.Contains(e.data, comment) {
				return e
			}
			if comment != "" && e.event != "comment" {
				t.Fatalf("event %+v while waiting for comment %q", e, comment)
			}
		case <-timeout:
			t.Fatal("no event in 3s")
		}
	}
}

func openTail(t *testing.T, ctx context.Context, url, lastID string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("tail: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp
}

func TestHTTPTail(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	serverCtx, stopServer := context.WithCancel(context.Background())
	defer stopServer()
	j, srv, active := httpJournal(t, HandlerOptions{Heartbeat: 50 * time.Millisecond, Context: serverCtx})
	mustAppend(t, j, "t", 0, rec("old"))

	// From the end (no offset): only records appended after connecting.
	ctx, cancel := context.WithCancel(context.Background())
	resp := openTail(t, ctx, srv.URL+"/topics/t/partitions/0/tail", "")
	ch := sse(resp.Body)
	next(t, ch, "from offset 1") // connected
	mustAppend(t, j, "t", 0, rec("n1"), rec("n2"))
	for i, want := range []string{"n1", "n2"} {
		e := next(t, ch, "")
		var r MessageJSON
		if err := json.Unmarshal([]byte(e.data), &r); err != nil || e.event != "record" || e.id != string(rune('1'+i)) || string(r.Value) != `"`+want+`"` {
			t.Fatalf("event %d: %+v %+v %v", i, e, r, err)
		}
	}
	next(t, ch, "heartbeat")
	// The client goes away: the handler returns.
	cancel()
	resp.Body.Close()
	waitZero(t, active)

	// Resume with Last-Event-ID 1: from offset 2 on.
	resp = openTail(t, context.Background(), srv.URL+"/topics/t/partitions/0/tail?offset=0", "1")
	ch = sse(resp.Body)
	if e := next(t, ch, ""); e.id != "2" {
		t.Fatalf("resumed at %+v", e)
	}
	// The server's context ends the stream.
	stopServer()
	timeout := time.After(3 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-ch:
		case <-timeout:
			t.Fatal("stream still open after the server's context ended")
		}
	}
	resp.Body.Close()
	waitZero(t, active)
	srv.Close()
	j.Close()
	http.DefaultClient.CloseIdleConnections()
}

func waitZero(t *testing.T, n *atomic.Int32) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for n.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d handlers still running", n.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHTTPTailReadCommitted(t *testing.T) {
	ctx := context.Background()
	j, srv, active := httpJournal(t, HandlerOptions{Heartbeat: 50 * time.Millisecond})
	p, err := j.NewTransactionalProducer(ctx, "tx")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Append(ctx, "t", 0, rec("x")); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp := openTail(t, cctx, srv.URL+"/topics/t/partitions/0/tail?offset=0&isolation=read_committed", "")
	defer resp.Body.Close()
	ch := sse(resp.Body)
	next(t, ch, "heartbeat") // the open transaction's record is not sent
	if err := p.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if e := next(t, ch, ""); e.id != "0" || !strings.Contains(e.data, `"value":"x"`) {
		t.Fatalf("after the commit: %+v", e)
	}
	cancel()
	resp.Body.Close()
	waitZero(t, active)
}

// The tail ends with an "event: error" (docs/http-journal.md) when the
// partition turns out damaged under it (a read meets a bad batch: it is
// quarantined, and no record of the damaged batch is sent) and when the
// journal closes while it waits.
func TestHTTPTailErrorEvents(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir, quietOpts(nil, nil))
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"aaaa", "bbbb", "cccc"} {
		mustAppend(t, j, "t", 0, rec(v))
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// Damage the second batch; the clean-shutdown marker makes Open trust
	// the file, so the tail's read is what meets the damage.
	seg := filepath.Join(dir, "topics", "t", "0", "00000000000000000000.log")
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("bbbb"))
	if i < 0 || bytes.Count(b, []byte("bbbb")) != 1 {
		t.Fatalf("the value bbbb is not once in the segment")
	}
	b[i+1] ^= 0x01
	if err := os.WriteFile(seg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	j = mustOpen(t, dir, quietOpts(nil, nil))
	defer j.Close()
	if err := j.CreateTopic("u", 1); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(j, HandlerOptions{Heartbeat: 50 * time.Millisecond, Logger: quietOpts(nil, nil).Logger}))
	defer srv.Close()
	defer http.DefaultClient.CloseIdleConnections()

	// untilError reads the stream to its end: the records and the error.
	untilError := func(ch <-chan sseEvent) (records []string, errEvent sseEvent) {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case e, ok := <-ch:
				if !ok {
					if errEvent.event == "" {
						t.Fatalf("the stream ended without an error event (records %v)", records)
					}
					return records, errEvent
				}
				switch e.event {
				case "record":
					var m MessageJSON
					if err := json.Unmarshal([]byte(e.data), &m); err != nil {
						t.Fatal(err)
					}
					records = append(records, string(m.Value))
				case "error":
					errEvent = e
				}
			case <-timeout:
				t.Fatal("the stream did not end")
			}
		}
	}

	resp := openTail(t, context.Background(), srv.URL+"/topics/t/partitions/0/tail?offset=0", "")
	recs, e := untilError(sse(resp.Body))
	resp.Body.Close()
	const short = `topic \"t\" partition 0 is quarantined: its data is damaged at offset 1; offsets before 1 are readable`
	if slices.Contains(recs, `"bbbb"`) || slices.Contains(recs, `"cccc"`) || !strings.Contains(e.data, short) {
		t.Fatalf("tail over a damaged batch: records %v, error %q; want no record from offset 1 on and %q", recs, e.data, short)
	}
	// The client is told neither the server's paths nor commands to run there.
	if strings.Contains(e.data, dir) || strings.Contains(e.data, "strom journal") {
		t.Fatalf("the error event names the server's files or commands: %s", e.data)
	}
	var er fetchResp
	if st := doJSON(t, "GET", srv.URL+"/topics/t/partitions/0/records?offset=1", "", &er); st != 503 ||
		!strings.Contains(er.Error, strings.ReplaceAll(short, `\"`, `"`)) || strings.Contains(er.Error, dir) || strings.Contains(er.Error, "strom journal") {
		t.Fatalf("fetch of the damaged offset: %d %q", st, er.Error)
	}
	if st := doJSON(t, "POST", srv.URL+"/topics/t/records", `{"records":[{"value":1}]}`, &er); st != 503 || strings.Contains(er.Error, dir) {
		t.Fatalf("produce to the quarantined partition: %d %q", st, er.Error)
	}

	resp = openTail(t, context.Background(), srv.URL+"/topics/u/partitions/0/tail", "")
	ch := sse(resp.Body)
	next(t, ch, "from offset 0") // connected, waiting at the end
	// Close reports topic t's quarantined partition.
	if err := j.Close(); !errors.Is(err, ErrQuarantined) {
		t.Fatal(err)
	}
	recs, e = untilError(ch)
	resp.Body.Close()
	if len(recs) != 0 || !strings.Contains(e.data, "closed") {
		t.Fatalf("tail of a closing journal: records %v, error %q", recs, e.data)
	}
}
