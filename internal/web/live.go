package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"
)

// maxBatch is the number of feed messages written between flushes.
const maxBatch = 256

// gapMessage is the message telling a reader what it missed.
func gapMessage(g *Gap) []byte {
	b, _ := json.Marshal(map[string]*Gap{"gap": g})
	return b
}

// snapshotFor is the result table a new reader of a result feed starts
// from: a reader that does not resume (no Last-Event-ID, no ?after=) gets
// the current rows as +I messages without a sequence number, then
// {"snapshot":{"seq","rows","truncated"}} (SSE: `event: snapshot`, id the
// seq), then the changes after seq.
func snapshotFor(r *http.Request, f *Feed) (rows [][]byte, seq uint64, truncated, ok bool) {
	if r.Header.Get("Last-Event-ID") != "" || r.URL.Query().Has("after") {
		return nil, 0, false, false
	}
	return f.Snapshot()
}

func appendInsert(buf, row []byte) []byte {
	buf = append(buf, `{"op":"+I","row":`...)
	buf = append(buf, row...)
	return append(buf, '}')
}

func snapshotMessage(seq uint64, rows int, truncated bool) []byte {
	b, _ := json.Marshal(map[string]any{"snapshot": map[string]any{"seq": seq, "rows": rows, "truncated": truncated}})
	return b
}

// cursorOf is where a reader resumes: after Last-Event-ID (or ?after=).
func cursorOf(r *http.Request) uint64 {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("after")
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 1
	}
	return n + 1
}

// sse streams a feed as Server-Sent Events: each message with id = its
// sequence number (and `event: <name>` unless name is empty), `event: gap`
// for missed messages, `event: end` when the feed closes, comments as
// heartbeats. extra, when not nil, gives a block of events to send at the
// start (first) and on every Tick; a stream with extra starts at the
// feed's end unless the client resumes (Last-Event-ID).
func (s *Server) sse(w http.ResponseWriter, r *http.Request, f *Feed, name string, extra func(first bool) []byte) error {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	// Every write and flush has a deadline (StreamWriteTimeout): a client
	// that stops reading is dropped and frees its stream slot.
	deadline := func() { _ = rc.SetWriteDeadline(time.Now().Add(s.cfg.StreamWriteTimeout)) }
	write := func(b []byte) bool {
		deadline()
		_, err := w.Write(b)
		return err == nil
	}
	send := func(b []byte) bool {
		return write(b) && rc.Flush() == nil
	}
	deadline()
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil
	}
	hb := time.NewTicker(s.cfg.Heartbeat)
	defer hb.Stop()
	var tick <-chan time.Time
	if extra != nil {
		t := time.NewTicker(s.cfg.Tick)
		defer t.Stop()
		tick = t.C
	}
	cursor := cursorOf(r)
	if rows, seq, trunc, ok := snapshotFor(r, f); ok {
		buf := make([]byte, 0, 64<<10)
		for i, row := range rows {
			buf = append(buf, "data: "...)
			buf = appendInsert(buf, row)
			buf = append(buf, "\n\n"...)
			if len(buf) >= 60<<10 || i == len(rows)-1 {
				if !write(buf) {
					return nil
				}
				buf = buf[:0]
			}
		}
		buf = append(buf, "event: snapshot\nid: "...)
		buf = strconv.AppendUint(buf, seq, 10)
		buf = append(buf, "\ndata: "...)
		buf = append(buf, snapshotMessage(seq, len(rows), trunc)...)
		buf = append(buf, "\n\n"...)
		if !send(buf) {
			return nil
		}
		cursor = seq + 1
	}
	if extra != nil {
		if r.Header.Get("Last-Event-ID") == "" && r.URL.Query().Get("after") == "" {
			cursor = f.Last() + 1
		}
		if b := extra(true); len(b) > 0 {
			if !send(b) {
				return nil
			}
		}
	}
	buf := make([]byte, 0, 4096)
	for {
		b := f.Poll(cursor, maxBatch)
		cursor = b.Next
		buf = buf[:0]
		if b.Gap != nil {
			buf = append(buf, "event: gap\ndata: "...)
			buf = append(buf, gapMessage(b.Gap)...)
			buf = append(buf, "\n\n"...)
		}
		for i, m := range b.Messages {
			if name != "" {
				buf = append(buf, "event: "...)
				buf = append(buf, name...)
				buf = append(buf, '\n')
			}
			buf = append(buf, "id: "...)
			buf = strconv.AppendUint(buf, b.Next-uint64(len(b.Messages)-i), 10)
			buf = append(buf, "\ndata: "...)
			buf = append(buf, m...)
			buf = append(buf, "\n\n"...)
		}
		if b.Ended {
			buf = append(buf, "event: end\ndata: "...)
			if b.Final != nil {
				buf = append(buf, b.Final...)
			} else {
				buf = append(buf, "{}"...)
			}
			buf = append(buf, "\n\n"...)
		}
		if len(buf) > 0 {
			if !send(buf) {
				return nil
			}
		}
		if b.Ended {
			return nil
		}
		if !b.Empty() {
			continue
		}
		select {
		case <-f.Wait(cursor):
		case <-hb.C:
			if !send([]byte(": heartbeat\n\n")) {
				return nil
			}
		case <-tick:
			if m := extra(false); len(m) > 0 {
				if !send(m) {
					return nil
				}
			}
		case <-r.Context().Done():
			return nil
		case <-s.stop:
			return nil
		}
	}
}

func (s *Server) resultsSSE(w http.ResponseWriter, r *http.Request) error {
	f, err := s.b.Feed(r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.sse(w, r, f, "", nil)
}

// events streams `event: job` (a JobSummary) for every job at the start
// and at every change of a job's state, and every Tick `event: metrics`
// (a MetricsDoc) per running job and `event: jobs` (the list).
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	return s.sse(w, r, s.b.Events(), "job", func(first bool) []byte {
		var out []byte
		add := func(event string, v any) {
			b, err := json.Marshal(v)
			if err != nil {
				return
			}
			out = append(out, "event: "...)
			out = append(out, event...)
			out = append(out, "\ndata: "...)
			out = append(out, b...)
			out = append(out, "\n\n"...)
		}
		jobs := s.jobList()
		if first {
			for _, j := range jobs {
				add("job", j)
			}
			return out
		}
		for _, j := range jobs {
			if j.State != StateRunning {
				continue
			}
			if v, ok := s.sampled.Load(j.ID); ok {
				add("metrics", v.(*jobSample).doc)
			}
		}
		add("jobs", map[string]any{"jobs": jobs})
		return out
	})
}

// resultsWS serves a feed over WebSocket: the same JSON messages as the
// SSE stream ({"seq",...}), {"gap":{...}} for missed ones and
// {"end":...} last. The client may send nothing; it resumes with
// ?after=<seq>. Cross-origin upgrades are refused (Origin must match Host).
func (s *Server) resultsWS(w http.ResponseWriter, r *http.Request) error {
	f, err := s.b.Feed(r.PathValue("id"))
	if err != nil {
		return err
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return nil // Accept wrote the response
	}
	defer c.CloseNow()
	ctx := c.CloseRead(r.Context())
	// A reader that does not take a message within StreamWriteTimeout is
	// dropped (the feed never waits for it; it would only miss messages).
	write := func(m []byte) error {
		wctx, cancel := context.WithTimeout(ctx, s.cfg.StreamWriteTimeout)
		defer cancel()
		return c.Write(wctx, websocket.MessageText, m)
	}
	hb := time.NewTicker(s.cfg.Heartbeat)
	defer hb.Stop()
	cursor := cursorOf(r)
	if rows, seq, trunc, ok := snapshotFor(r, f); ok {
		var buf []byte
		for _, row := range rows {
			buf = appendInsert(buf[:0], row)
			if write(buf) != nil {
				return nil
			}
		}
		if write(snapshotMessage(seq, len(rows), trunc)) != nil {
			return nil
		}
		cursor = seq + 1
	}
	for {
		b := f.Poll(cursor, maxBatch)
		cursor = b.Next
		if b.Gap != nil {
			if write(gapMessage(b.Gap)) != nil {
				return nil
			}
		}
		for _, m := range b.Messages {
			if write(m) != nil {
				return nil
			}
		}
		if b.Ended {
			final := b.Final
			if final == nil {
				final = []byte(`{"end":true}`)
			}
			if write(final) == nil {
				c.Close(websocket.StatusNormalClosure, "the job ended")
			}
			return nil
		}
		if !b.Empty() {
			continue
		}
		select {
		case <-f.Wait(cursor):
		case <-hb.C:
			pctx, cancel := context.WithTimeout(ctx, s.cfg.StreamWriteTimeout)
			err := c.Ping(pctx)
			cancel()
			if err != nil {
				return nil
			}
		case <-ctx.Done():
			return nil
		case <-s.stop:
			c.Close(websocket.StatusGoingAway, "the server is shutting down")
			return nil
		}
	}
}
