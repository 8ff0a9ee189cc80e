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
// sequence number, `event: gap` for missed messages, `event: end` when the
// feed closes, comments as heartbeats. extra, when not nil, is called on
// each tick and its non-nil message sent as `event: tick`.
func (s *Server) sse(w http.ResponseWriter, r *http.Request, f *Feed, extra func() []byte) error {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
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
			if _, err := w.Write(buf); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
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
			if _, err := w.Write([]byte(": heartbeat\n\n")); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		case <-tick:
			if m := extra(); m != nil {
				msg := append(append([]byte("event: tick\ndata: "), m...), "\n\n"...)
				if _, err := w.Write(msg); err != nil {
					return nil
				}
				if err := rc.Flush(); err != nil {
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
	return s.sse(w, r, f, nil)
}

// events streams the job-state changes, and every Tick the job list.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	return s.sse(w, r, s.b.Events(), func() []byte {
		b, err := json.Marshal(map[string]any{"jobs": s.b.Jobs()})
		if err != nil {
			return nil
		}
		return b
	})
}

// wsWriteTimeout drops a WebSocket reader that does not take a message
// within it (the feed never waits for it; it would only miss messages).
const wsWriteTimeout = 10 * time.Second

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
	write := func(m []byte) error {
		wctx, cancel := context.WithTimeout(ctx, wsWriteTimeout)
		defer cancel()
		return c.Write(wctx, websocket.MessageText, m)
	}
	hb := time.NewTicker(s.cfg.Heartbeat)
	defer hb.Stop()
	cursor := cursorOf(r)
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
			pctx, cancel := context.WithTimeout(ctx, wsWriteTimeout)
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
