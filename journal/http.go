package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HandlerOptions configure NewHandler; the zero value is usable.
type HandlerOptions struct {
	// MaxBodyBytes bounds a produce request's body; a larger one is
	// answered 413. Default 1 MiB.
	MaxBodyBytes int64
	// MaxRecords bounds the records of one fetch (a larger ?max= is cut
	// down to it) and of one read of a tail. Default 1000.
	MaxRecords int
	// MaxBytes bounds the bytes of batches one fetch reads (at least one
	// batch is returned). Default 1 MiB.
	MaxBytes int
	// Heartbeat is how often a tail with nothing to send writes an SSE
	// comment, so that proxies and clients see the stream is alive.
	// Default 15s.
	Heartbeat time.Duration
	// WriteTimeout bounds each write of a tail (the handler moves the
	// connection's write deadline forward before every event, so that a
	// server's WriteTimeout does not cut a long-lived stream, and a client
	// that stops reading is dropped). Default 10s.
	WriteTimeout time.Duration
	// Context is the server's: when it is done every tail ends. Nil means
	// tails end only when their client goes away.
	Context context.Context
	// Logger gets the internal errors (their messages are not sent to the
	// client); default slog.Default().
	Logger *slog.Logger
}

func (o *HandlerOptions) fill() {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if o.MaxRecords <= 0 {
		o.MaxRecords = 1000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 20
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

type httpHandler struct {
	j    *Journal
	opts HandlerOptions
}

// NewHandler returns the HTTP/JSON API of j: produce, fetch by offset, a
// Server-Sent-Events tail and the list of topics (routes and bodies:
// docs/http-journal.md). It does no authentication: mount it behind the
// server's (bearer token, TLS) and its connection limits.
func NewHandler(j *Journal, opts HandlerOptions) http.Handler {
	opts.fill()
	h := &httpHandler{j: j, opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /topics", h.topics)
	mux.HandleFunc("POST /topics/{topic}/records", h.produce)
	mux.HandleFunc("POST /producers", h.producers)
	mux.HandleFunc("GET /topics/{topic}/partitions/{p}/records", h.fetch)
	mux.HandleFunc("GET /topics/{topic}/partitions/{p}/tail", h.tail)
	// The same paths with another method, and every other path: JSON errors.
	for path, allow := range map[string]string{
		"/topics":                                "GET, HEAD",
		"/topics/{topic}/records":                "POST",
		"/producers":                             "POST",
		"/topics/{topic}/partitions/{p}/records": "GET, HEAD",
		"/topics/{topic}/partitions/{p}/tail":    "GET, HEAD",
	} {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			httpError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed (allowed: %s)", r.Method, allow))
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpError(w, http.StatusNotFound, "no such route")
	})
	return mux
}

type httpErrorBody struct {
	Error string `json:"error"`
	// Offsets of a produce: the appends acknowledged before the error.
	Offsets []httpOffsets `json:"offsets,omitempty"`
	// Valid offsets, for an offset out of range.
	StartOffset *int64 `json:"start_offset,omitempty"`
	EndOffset   *int64 `json:"end_offset,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func httpError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, httpErrorBody{Error: msg})
}

// journalError answers err of the journal: a status by its kind; the text
// of an unexpected error goes to the log, not to the client.
func (h *httpHandler) journalError(w http.ResponseWriter, r *http.Request, err error, body httpErrorBody) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrUnknownTopic):
		status = http.StatusNotFound
	case errors.Is(err, ErrProducerFenced), errors.Is(err, ErrOutOfOrderSequence), errors.Is(err, ErrDuplicateSequence):
		status = http.StatusConflict
	case errors.Is(err, ErrUnknownProducer):
		status = http.StatusBadRequest
	case errors.Is(err, ErrOffsetOutOfRange):
		status = http.StatusRequestedRangeNotSatisfiable
	case errors.Is(err, ErrClosed), errors.Is(err, ErrReadOnly), errors.Is(err, ErrQuarantined):
		status = http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
	}
	switch {
	case status == http.StatusInternalServerError:
		h.opts.Logger.Error("journal http: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		body.Error = "internal error (see the server log)"
	case status == http.StatusNotFound:
		body.Error = unknownTopicMessage(err)
	default:
		body.Error = clientText(err)
	}
	writeJSON(w, status, body)
}

// unknownTopicMessage says which topic or partition does not exist
// (without the journal's "journal:" prefixes) and where to look: the
// handler creates no topics, a produce to a missing one is an error.
func unknownTopicMessage(err error) string {
	msg := strings.TrimSuffix(err.Error(), ": "+ErrUnknownTopic.Error())
	msg = strings.TrimPrefix(msg, "journal: ")
	if t, ok := strings.CutPrefix(msg, "topic "); ok && !strings.Contains(t, " ") {
		return "no topic " + t + ": GET /topics lists the topics (a produce does not create one)"
	}
	return msg + "; GET /topics lists the topics and their partitions"
}

// pathTopic returns the validated {topic}.
func pathTopic(r *http.Request) (string, error) {
	t := r.PathValue("topic")
	if !validName(t) {
		return "", fmt.Errorf("invalid topic name %q: want 1 to 200 of [A-Za-z0-9._-]", t)
	}
	return t, nil
}

// pathPartition returns the validated {p}.
func pathPartition(r *http.Request) (int, error) {
	s := r.PathValue("p")
	n, err := parseUint(s, 1<<16-1)
	if err != nil {
		return 0, fmt.Errorf("invalid partition %q: want a number in [0, 65535]", s)
	}
	return int(n), nil
}

// parseUint accepts only decimal digits (no sign, no spaces) up to max.
func parseUint(s string, max int64) (int64, error) {
	if s == "" || len(s) > 19 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("not a decimal number")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > max {
		return 0, errors.New("out of range")
	}
	return n, nil
}

func parseIsolation(s string) (Isolation, error) {
	switch s {
	case "", "read_uncommitted":
		return ReadUncommitted, nil
	case "read_committed":
		return ReadCommitted, nil
	}
	return 0, fmt.Errorf("invalid isolation %q: want read_committed or read_uncommitted", s)
}

// ---- GET /topics

type httpPartitionInfo struct {
	Partition   int   `json:"partition"`
	StartOffset int64 `json:"start_offset"`
	EndOffset   int64 `json:"end_offset"`
}

type httpTopicInfo struct {
	Name       string              `json:"name"`
	Partitions []httpPartitionInfo `json:"partitions"`
}

func (h *httpHandler) topics(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Topics []httpTopicInfo `json:"topics"`
	}{Topics: []httpTopicInfo{}}
	for _, t := range h.j.Topics() {
		ti := httpTopicInfo{Name: t.Name, Partitions: make([]httpPartitionInfo, 0, t.Partitions)}
		for p := range t.Partitions {
			start, end, err := h.j.Bounds(t.Name, p)
			if err != nil {
				h.journalError(w, r, err, httpErrorBody{})
				return
			}
			ti.Partitions = append(ti.Partitions, httpPartitionInfo{p, start, end})
		}
		out.Topics = append(out.Topics, ti)
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- POST /topics/{topic}/records

type httpInRecord struct {
	Key       *string           `json:"key"`
	Value     json.RawMessage   `json:"value"`
	Headers   map[string]string `json:"headers"`
	Timestamp int64             `json:"timestamp"`
	Partition *int              `json:"partition"`
}

type httpOffsets struct {
	Partition int   `json:"partition"`
	First     int64 `json:"first"`
	Last      int64 `json:"last"`
}

// recordValue is the bytes stored for a JSON value: a string's text, null
// as nil, anything else its compact JSON.
func recordValue(v json.RawMessage) ([]byte, error) {
	s := strings.TrimSpace(string(v))
	switch {
	case s == "" || s == "null":
		return nil, nil
	case s[0] == '"':
		var str string
		if err := json.Unmarshal(v, &str); err != nil {
			return nil, err
		}
		return []byte(str), nil
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // compacts
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// produceRequest is a decoded and checked produce body.
type produceRequest struct {
	records []Record
	parts   []int // per record: its "partition", or -1 for none
	// With an idempotent producer: its id, epoch and the sequence of the
	// first record; every record names the same partition then.
	producer *ProducerSeq
}

// errBodyTooLarge wraps the error of a body over the limit (413).
var errBodyTooLarge = errors.New("body too large")

// jsonWant says in JSON's terms what a value of Go type t is (the type
// json reports is the value's, not a pointer to it), for the
// error of a produce body with a value of the wrong type (instead of Go's
// "cannot unmarshal number into Go struct field httpInRecord.records.key
// of type string").
func jsonWant(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprintf("an integer of %d bits", t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("an integer from 0 to 2^%d-1", t.Bits())
	case reflect.Map:
		return "an object of " + strings.TrimPrefix(strings.TrimPrefix(jsonWant(t.Elem()), "a "), "an ") + "s"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct:
		return "an object"
	}
	return "another type"
}

// decodeProduce reads and checks a produce body: the JSON shape, values,
// timestamps, headers, partitions in [0, nparts), the producer fields. Its
// errors are the client's (400, or 413 when errors.Is errBodyTooLarge).
func decodeProduce(body io.Reader, nparts int) (*produceRequest, error) {
	var req struct {
		ProducerID    *int64         `json:"producer_id"`
		ProducerEpoch *uint32        `json:"producer_epoch"`
		Sequence      *int32         `json:"sequence"`
		Records       []httpInRecord `json:"records"`
	}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("data after the JSON object")
	}
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, fmt.Errorf("%w: body is larger than the limit of %d bytes", errBodyTooLarge, mbe.Limit)
		}
		if ute := (*json.UnmarshalTypeError)(nil); errors.As(err, &ute) && ute.Field != "" {
			return nil, fmt.Errorf("invalid JSON body: field %q: want %s, got JSON %s", ute.Field, jsonWant(ute.Type), ute.Value)
		}
		return nil, fmt.Errorf("invalid JSON body: %v", err)
	}
	if len(req.Records) == 0 {
		return nil, errors.New(`no records: want {"records":[{"key":...,"value":...}, ...]}`)
	}
	out := &produceRequest{}
	n := 0
	for _, set := range []bool{req.ProducerID != nil, req.ProducerEpoch != nil, req.Sequence != nil} {
		if set {
			n++
		}
	}
	switch {
	case n != 0 && n != 3:
		return nil, errors.New("producer_id, producer_epoch and sequence go together (all three or none)")
	case n == 3 && (*req.ProducerID < 0 || *req.Sequence < 0):
		return nil, fmt.Errorf("producer_id %d and sequence %d must not be negative", *req.ProducerID, *req.Sequence)
	case n == 3 && int64(*req.Sequence)+int64(len(req.Records))-1 > math.MaxInt32:
		return nil, fmt.Errorf("sequence %d + %d records is beyond %d", *req.Sequence, len(req.Records), math.MaxInt32)
	case n == 3:
		out.producer = &ProducerSeq{ID: *req.ProducerID, Epoch: *req.ProducerEpoch, Seq: *req.Sequence}
	}
	for i, in := range req.Records {
		if in.Timestamp < 0 {
			return nil, fmt.Errorf("record %d: negative timestamp %d", i, in.Timestamp)
		}
		rec := Record{Timestamp: in.Timestamp}
		if in.Key != nil {
			rec.Key = []byte(*in.Key)
		}
		if rec.Value, err = recordValue(in.Value); err != nil {
			return nil, fmt.Errorf("record %d: invalid value: %v", i, err)
		}
		keys := make([]string, 0, len(in.Headers))
		for k := range in.Headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			rec.Headers = append(rec.Headers, Header{Key: k, Value: []byte(in.Headers[k])})
		}
		p := -1
		if in.Partition != nil {
			if *in.Partition < 0 || *in.Partition >= nparts {
				return nil, fmt.Errorf("record %d: partition %d outside [0, %d)", i, *in.Partition, nparts)
			}
			p = *in.Partition
		}
		if out.producer != nil && (p < 0 || i > 0 && p != out.parts[0]) {
			return nil, fmt.Errorf("record %d: with producer_id every record names the same partition (a sequence belongs to one partition)", i)
		}
		out.records = append(out.records, rec)
		out.parts = append(out.parts, p)
	}
	return out, nil
}

func (h *httpHandler) produce(w http.ResponseWriter, r *http.Request) {
	topic, err := pathTopic(r)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	if r.ContentLength > h.opts.MaxBodyBytes {
		httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes is larger than the limit of %d", r.ContentLength, h.opts.MaxBodyBytes))
		return
	}
	t, err := h.j.topic(topic)
	if err != nil {
		h.journalError(w, r, err, httpErrorBody{})
		return
	}
	req, err := decodeProduce(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes), len(t.parts))
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errBodyTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		httpError(w, status, err.Error())
		return
	}
	if req.producer != nil {
		off, err := h.j.AppendSeq(r.Context(), topic, req.parts[0], *req.producer, req.records...)
		if err != nil {
			h.journalError(w, r, err, httpErrorBody{})
			return
		}
		writeJSON(w, http.StatusOK, struct {
			Offsets []httpOffsets `json:"offsets"`
		}{[]httpOffsets{{off.Partition, off.First, off.Last}}})
		return
	}
	byPart := map[int][]Record{}
	var unkeyed []Record // no key, no partition: one round-robin append
	for i, rec := range req.records {
		switch p := req.parts[i]; {
		case p >= 0:
			byPart[p] = append(byPart[p], rec)
		case rec.Key != nil:
			p, err := h.j.PartitionFor(topic, rec.Key)
			if err != nil {
				h.journalError(w, r, err, httpErrorBody{})
				return
			}
			byPart[p] = append(byPart[p], rec)
		default:
			unkeyed = append(unkeyed, rec)
		}
	}
	parts := make([]int, 0, len(byPart))
	for p := range byPart {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	var done []httpOffsets
	appendOne := func(p int, recs []Record) bool {
		off, err := h.j.Append(r.Context(), topic, p, recs...)
		if err != nil {
			h.journalError(w, r, err, httpErrorBody{Offsets: done})
			return false
		}
		done = append(done, httpOffsets{off.Partition, off.First, off.Last})
		return true
	}
	for _, p := range parts {
		if !appendOne(p, byPart[p]) {
			return
		}
	}
	if len(unkeyed) > 0 && !appendOne(AnyPartition, unkeyed) {
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Offsets []httpOffsets `json:"offsets"`
	}{done})
}

// ---- POST /producers

// producers registers an idempotent producer by name (Journal.NewProducer:
// a new id, or the next epoch of the name's id, fencing the previous
// session) and answers its id and epoch for produce's producer fields.
func (h *httpHandler) producers(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `json:"name"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("data after the JSON object")
	}
	if err != nil {
		httpError(w, http.StatusBadRequest, `invalid JSON body, want {"name":"..."}: `+err.Error())
		return
	}
	if !validName(req.Name) {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("invalid producer name %q (1 to 200 of [A-Za-z0-9._-])", req.Name))
		return
	}
	p, err := h.j.NewProducer(req.Name)
	if err != nil {
		h.journalError(w, r, err, httpErrorBody{})
		return
	}
	id, epoch := p.ID()
	writeJSON(w, http.StatusOK, struct {
		Name  string `json:"name"`
		ID    int64  `json:"producer_id"`
		Epoch uint32 `json:"producer_epoch"`
	}{req.Name, id, epoch})
}

// ---- GET /topics/{topic}/partitions/{p}/records

// MessageJSON is the JSON form of a message, shared by the HTTP API and
// `strom journal consume`: the key and header values as strings (null when
// absent), the value as JSON when it is valid JSON, else as a string.
type MessageJSON struct {
	Partition int                `json:"partition"`
	Offset    int64              `json:"offset"`
	Timestamp int64              `json:"timestamp"`
	Key       *string            `json:"key"`
	Value     json.RawMessage    `json:"value"`
	Headers   map[string]*string `json:"headers"`
}

// ToJSON returns the JSON form of m.
func (m *Message) ToJSON() MessageJSON {
	o := MessageJSON{Partition: m.Partition, Offset: m.Offset, Timestamp: m.Timestamp, Headers: map[string]*string{}}
	if m.Key != nil {
		k := string(m.Key)
		o.Key = &k
	}
	switch {
	case m.Value == nil:
		o.Value = json.RawMessage("null")
	case json.Valid(m.Value):
		o.Value = m.Value
	default:
		o.Value, _ = json.Marshal(string(m.Value))
	}
	for _, hd := range m.Headers {
		if hd.Value == nil {
			o.Headers[hd.Key] = nil
		} else {
			v := string(hd.Value)
			o.Headers[hd.Key] = &v
		}
	}
	return o
}

// readParams validates topic, partition, isolation and the offset (the
// query's, else def) against the partition's bounds; it answers the
// request itself when it returns false.
func (h *httpHandler) readParams(w http.ResponseWriter, r *http.Request, offset string, def func(start, end int64) int64) (topic string, part int, iso Isolation, from int64, ok bool) {
	var err error
	if topic, err = pathTopic(r); err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	if part, err = pathPartition(r); err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	if iso, err = parseIsolation(r.URL.Query().Get("isolation")); err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	start, end, err := h.j.Bounds(topic, part)
	if err != nil {
		h.journalError(w, r, err, httpErrorBody{})
		return
	}
	if offset == "" {
		return topic, part, iso, def(start, end), true
	}
	if from, err = parseUint(offset, 1<<63-1); err != nil {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("invalid offset %q: want a number in [%d, %d]", offset, start, end))
		return
	}
	if from < start || from > end {
		writeJSON(w, http.StatusRequestedRangeNotSatisfiable, httpErrorBody{
			Error:       fmt.Sprintf("offset %d out of range: valid offsets are [%d, %d]", from, start, end),
			StartOffset: &start, EndOffset: &end,
		})
		return
	}
	return topic, part, iso, from, true
}

func (h *httpHandler) fetch(w http.ResponseWriter, r *http.Request) {
	topic, part, iso, from, ok := h.readParams(w, r, r.URL.Query().Get("offset"), func(start, _ int64) int64 { return start })
	if !ok {
		return
	}
	max := h.opts.MaxRecords
	if s := r.URL.Query().Get("max"); s != "" {
		n, err := parseUint(s, 1<<31-1)
		if err != nil || n == 0 {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("invalid max %q: want a number >= 1 (at most %d are returned)", s, h.opts.MaxRecords))
			return
		}
		max = min(max, int(n))
	}
	ms, next, err := h.j.Fetch(r.Context(), topic, part, from, ReadOptions{MaxBytes: h.opts.MaxBytes, MaxRecords: max, Isolation: iso})
	if err != nil {
		h.journalError(w, r, err, httpErrorBody{})
		return
	}
	out := struct {
		Topic      string        `json:"topic"`
		Partition  int           `json:"partition"`
		Records    []MessageJSON `json:"records"`
		NextOffset int64         `json:"next_offset"`
	}{Topic: topic, Partition: part, Records: make([]MessageJSON, 0, len(ms)), NextOffset: next}
	for i := range ms {
		out.Records = append(out.Records, (&ms[i]).ToJSON())
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- GET /topics/{topic}/partitions/{p}/tail (Server-Sent Events)

func (h *httpHandler) tail(w http.ResponseWriter, r *http.Request) {
	offset := r.URL.Query().Get("offset")
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		// The id of the last event received: resume after it.
		n, err := parseUint(id, 1<<63-2)
		if err != nil {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("invalid Last-Event-ID %q: want an offset", id))
			return
		}
		offset = strconv.FormatInt(n+1, 10)
	}
	topic, part, iso, from, ok := h.readParams(w, r, offset, func(_, end int64) int64 { return end })
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if h.opts.Context != nil {
		stop := context.AfterFunc(h.opts.Context, cancel)
		defer stop()
	}
	rc := http.NewResponseController(w)
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	send := func(s string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(h.opts.WriteTimeout)) // not every writer has deadlines
		if _, err := io.WriteString(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(": tail of topic " + topic + " partition " + strconv.Itoa(part) + " from offset " + strconv.FormatInt(from, 10) + "\n\n") {
		return
	}
	var buf []byte
	for {
		pctx, pcancel := context.WithTimeout(ctx, h.opts.Heartbeat)
		ms, err := h.j.Poll(pctx, topic, part, from, ReadOptions{MaxBytes: h.opts.MaxBytes, MaxRecords: h.opts.MaxRecords, Isolation: iso})
		pcancel()
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, context.DeadlineExceeded) {
			if !send(": heartbeat\n\n") {
				return
			}
			continue
		}
		if err != nil {
			msg := clientText(err)
			if !errors.Is(err, ErrOffsetOutOfRange) && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrReadOnly) && !errors.Is(err, ErrQuarantined) {
				h.opts.Logger.Error("journal http: tail", "topic", topic, "partition", part, "err", err)
				msg = "internal error (see the server log)"
			}
			b, _ := json.Marshal(httpErrorBody{Error: msg})
			send("event: error\ndata: " + string(b) + "\n\n")
			return
		}
		buf = buf[:0]
		for i := range ms {
			b, err := json.Marshal((&ms[i]).ToJSON())
			if err != nil {
				continue // cannot happen: every field is valid JSON
			}
			buf = fmt.Appendf(buf, "id: %d\nevent: record\ndata: %s\n\n", ms[i].Offset, b)
		}
		if len(ms) > 0 {
			from = ms[len(ms)-1].Offset + 1
			if !send(string(buf)) {
				return
			}
		}
	}
}
