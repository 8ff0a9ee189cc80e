package stream_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

// The keyed state of blobJob: blobKeys keys of about blobLen bytes each
// in one subtask, over one S3 part (5 MiB, STROM_S3_PART_SIZE), rewritten
// every round, so that a full base of it goes up as a multipart upload.
const (
	blobKeys   = 4600
	blobLen    = 1200
	blobRounds = 6
)

// blobOf is the value key k holds after round r (deterministic).
func blobOf(k, r int) string {
	unit := fmt.Sprintf("%d.%d;", k, r)
	return strings.Repeat(unit, blobLen/len(unit)+1)[:blobLen]
}

type blobEvent struct{ Key, Round int }

// blobCheck keeps blobOf(key, round) per key and alerts when the state it
// finds is not the previous round's (state lost or damaged by a restore);
// after the last round it emits one row per key.
type blobCheck struct {
	blob  *stream.ValueState[string]
	round *stream.ValueState[int64]
}

func (f *blobCheck) Open(ctx *stream.OpenContext) error {
	f.blob = stream.NewValueState[string](ctx, "blob")
	f.round = stream.NewValueState[int64](ctx, "round")
	return nil
}

func (f *blobCheck) ProcessElement(_ *stream.KeyedContext[int], e blobEvent, out stream.Emitter[string]) error {
	last, _ := f.round.Get() // rounds seen so far
	if int(last) != e.Round {
		out.Emit(fmt.Sprintf("ALERT key %d: round %d after %d rounds", e.Key, e.Round, last))
	}
	if e.Round > 0 {
		if b, _ := f.blob.Get(); b != blobOf(e.Key, e.Round-1) {
			out.Emit(fmt.Sprintf("ALERT key %d: round %d finds a wrong blob (%d bytes)", e.Key, e.Round, len(b)))
		}
	}
	f.blob.Set(blobOf(e.Key, e.Round))
	f.round.Set(int64(e.Round) + 1)
	if e.Round == blobRounds-1 {
		out.Emit(fmt.Sprintf("key %d: %d rounds", e.Key, blobRounds))
	}
	return nil
}

func (f *blobCheck) OnTimer(*stream.KeyedContext[int], int64, stream.Emitter[string]) error {
	return nil
}

// blobJob runs blobKeys x blobRounds records at parallelism 1 with
// incremental checkpoints into dir every interval; it panics once at a record
// after fail() says so (fail nil: never).
func blobJob(ctx context.Context, t *testing.T, dir string, interval time.Duration, sink *streamtest.TxSink[string], fail func() bool, logf ...func(string, ...any)) error {
	var failed atomic.Bool
	lf := t.Logf
	if len(logf) > 0 {
		lf = logf[0]
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: interval, Logf: lf},
		Restart:     &stream.RestartStrategy{MaxAttempts: 2}})
	src := stream.FromGenerator(env, blobKeys*blobRounds, func(_ int, i int64) blobEvent {
		return blobEvent{Key: int(i % blobKeys), Round: int(i / blobKeys)}
	}, stream.WatermarkStrategy[blobEvent]{})
	var seen atomic.Int64
	paced := stream.Map(src, func(e blobEvent) blobEvent {
		n := seen.Add(1)
		// Give checkpoints time to happen, more so once the state is
		// rewritten and the failure waits for a multipart base.
		if n%200 == 0 || (e.Round >= 2 && fail != nil && !failed.Load() && n%20 == 0) {
			time.Sleep(time.Millisecond)
		}
		if fail != nil && fail() && failed.CompareAndSwap(false, true) {
			panic("injected failure")
		}
		return e
	})
	keyed := stream.KeyBy(paced, func(e blobEvent) int { return e.Key })
	out := stream.KeyedProcess(keyed, func() stream.KeyedProcessFunction[int, blobEvent, string] { return &blobCheck{} }).UID("blob-check")
	stream.SinkTo[string](out, sink, "tx-sink")
	err := env.Execute(ctx)
	if fail != nil && err == nil && !failed.Load() {
		return errors.New("the failure was never injected (no checkpoint with a multipart upload completed in time)")
	}
	return err
}

// s3Watch is a fake S3 (gofakes3 on memory) behind a handler that records
// the multipart uploads of state files and the requests after a point.
type s3Watch struct {
	backend *s3mem.Backend
	srv     *httptest.Server
	onPart  atomic.Pointer[func(w http.ResponseWriter, r *http.Request) bool] // true: answered
	onAbort atomic.Pointer[func(w http.ResponseWriter, r *http.Request) bool] // true: answered

	mu        sync.Mutex
	multipart map[string]bool // keys completed as multipart uploads
	mpChk     int64           // the lowest chk-<id> holding one
	committed int64           // the highest chk-<id>/_metadata put
	parts     int             // part uploads seen
	got       []string        // keys read (GET) since record was set
	record    bool
}

const watchBucket = "strom-mp"

var chkKey = regexp.MustCompile(`/chk-(\d+)/([^/]+)$`)

func newS3Watch(t *testing.T) *s3Watch {
	w := &s3Watch{backend: s3mem.New(), multipart: map[string]bool{}}
	if err := w.backend.CreateBucket(watchBucket); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(w.backend).Server()
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		key := strings.TrimPrefix(r.URL.Path, "/"+watchBucket+"/")
		var id int64
		m := chkKey.FindStringSubmatch(r.URL.Path)
		if m != nil {
			fmt.Sscan(m[1], &id)
		}
		if r.Method == http.MethodDelete && q.Has("uploadId") {
			if f := w.onAbort.Load(); f != nil && (*f)(rw, r) {
				return
			}
		}
		if r.Method == http.MethodPut && q.Get("partNumber") != "" {
			w.mu.Lock()
			w.parts++
			w.mu.Unlock()
			if f := w.onPart.Load(); f != nil && (*f)(rw, r) {
				return
			}
		}
		rec := &statusRecorder{ResponseWriter: rw, code: http.StatusOK}
		h.ServeHTTP(rec, r)
		if rec.code != http.StatusOK || m == nil {
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		switch {
		case r.Method == http.MethodPost && q.Get("uploadId") != "" && strings.HasSuffix(m[2], ".state"):
			w.multipart[key] = true
			if w.mpChk == 0 || id < w.mpChk {
				w.mpChk = id
			}
		case r.Method == http.MethodPut && m[2] == "_metadata" && q.Get("partNumber") == "":
			w.committed = max(w.committed, id)
		case r.Method == http.MethodGet && w.record:
			w.got = append(w.got, key)
		}
	}))
	t.Cleanup(w.srv.Close)
	t.Setenv("STROM_S3_ENDPOINT", w.srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("STROM_S3_PART_SIZE", "5MiB") // S3's minimum part
	return w
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// incompleteUploads lists the multipart uploads under prefix that were
// neither completed nor aborted, through the S3 API.
func (w *s3Watch) incompleteUploads(t *testing.T, prefix string) []string {
	t.Helper()
	c, err := minio.New(strings.TrimPrefix(w.srv.URL, "http://"), &minio.Options{Creds: credentials.NewStaticV4("test-key", "test-secret", ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for u := range c.ListIncompleteUploads(context.Background(), watchBucket, prefix, true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		out = append(out, u.Key)
	}
	return out
}

// TestS3MultipartCheckpointRestart: a job whose keyed state (about 5.6 MB in
// one subtask) is larger than one part (5 MiB) checkpoints incrementally
// into a fake S3, so that its full bases go up through the coordinator's
// uploader as multipart uploads; it fails once after a checkpoint with such
// a base completed, restores from the bucket (reading the multipart
// object) and commits exactly the output of an uninterrupted run.
func TestS3MultipartCheckpointRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("writes tens of MB of checkpoints")
	}
	golden := streamtest.NewTxSink[string]()
	if err := blobJob(context.Background(), t, t.TempDir(), time.Second, golden, nil); err != nil {
		t.Fatal(err)
	}
	w := newS3Watch(t)
	sink := streamtest.NewTxSink[string]()
	ready := func() bool { // a checkpoint using a multipart base completed
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.mpChk > 0 && w.committed >= w.mpChk {
			w.record = true // the restore's reads from here on
			return true
		}
		return false
	}
	if err := blobJob(context.Background(), t, "s3://"+watchBucket+"/jobs/mp", 20*time.Millisecond, sink, ready); err != nil {
		t.Fatal(err)
	}
	want, got := slices.Clone(golden.Rows()), slices.Clone(sink.Rows())
	sort.Strings(want)
	sort.Strings(got)
	if len(want) != blobKeys || !slices.Equal(got, want) {
		t.Fatalf("committed output differs from the uninterrupted run: %d rows, want %d (%d keys)\n got %.3q\nwant %.3q", len(got), len(want), blobKeys, got, want)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	readMultipart := slices.ContainsFunc(w.got, func(k string) bool { return w.multipart[k] })
	t.Logf("%d multipart state files (first in chk-%d), %d part uploads; after the failure %d objects read", len(w.multipart), w.mpChk, w.parts, len(w.got))
	if !readMultipart {
		t.Fatalf("the restore read no object written as a multipart upload (read %q; multipart %v)", w.got, w.multipart)
	}
	if left := w.incompleteUploads(t, "jobs/mp/"); len(left) > 0 {
		t.Fatalf("multipart uploads left behind: %q", left)
	}
}

// TestS3MultipartCanceled: a job canceled while a keyed file is in the
// middle of its multipart upload (the store holds its second part until the
// job's context is canceled) leaves neither that object nor an incomplete
// multipart upload.
func TestS3MultipartCanceled(t *testing.T) {
	w := newS3Watch(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cut atomic.Pointer[string] // the key whose upload was cut off
	hold := func(rw http.ResponseWriter, r *http.Request) bool {
		if r.URL.Query().Get("partNumber") != "2" {
			return false
		}
		key := strings.TrimPrefix(r.URL.Path, "/"+watchBucket+"/")
		if !cut.CompareAndSwap(nil, &key) {
			return false
		}
		cancel()
		io.Copy(io.Discard, r.Body) // ends when the client gives up the request
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		http.Error(rw, "canceled", http.StatusServiceUnavailable)
		return true
	}
	w.onPart.Store(&hold)
	err := blobJob(ctx, t, "s3://"+watchBucket+"/jobs/cancel", 20*time.Millisecond, streamtest.NewTxSink[string](), nil)
	if cut.Load() == nil {
		t.Fatalf("no multipart upload reached its second part (job: %v)", err)
	}
	if !errors.Is(err, stream.ErrCanceled) {
		t.Fatalf("the canceled job returned %v", err)
	}
	key := *cut.Load()
	if _, err := w.backend.HeadObject(watchBucket, key); err == nil {
		t.Fatalf("%s exists after its upload was cut off", key)
	}
	if left := w.incompleteUploads(t, "jobs/cancel/"); len(left) > 0 {
		t.Fatalf("multipart uploads left behind after the cancellation: %q", left)
	}
	t.Logf("cut off: %s", key)
}

// TestS3MultipartAbortHangs: a job canceled during a multipart upload
// whose abort the store never answers still ends promptly (RELIABILITY B6:
// within 10 s; the abort is bounded by S3Options.AbortTimeout), and the
// job's log reports the upload left behind and the lifecycle rule that
// cleans it.
func TestS3MultipartAbortHangs(t *testing.T) {
	w := newS3Watch(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cut atomic.Pointer[string]
	var canceledAt atomic.Int64
	hold := func(rw http.ResponseWriter, r *http.Request) bool {
		if r.URL.Query().Get("partNumber") != "2" {
			return false
		}
		key := strings.TrimPrefix(r.URL.Path, "/"+watchBucket+"/")
		if !cut.CompareAndSwap(nil, &key) {
			return false
		}
		canceledAt.Store(time.Now().UnixNano())
		cancel()
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
		return true
	}
	hang := func(rw http.ResponseWriter, r *http.Request) bool {
		<-r.Context().Done() // never answered
		return true
	}
	w.onPart.Store(&hold)
	w.onAbort.Store(&hang)
	var mu sync.Mutex
	var log strings.Builder
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&log, format+"\n", args...)
	}
	err := blobJob(ctx, t, "s3://"+watchBucket+"/jobs/hang", 20*time.Millisecond, streamtest.NewTxSink[string](), nil, logf)
	if cut.Load() == nil {
		t.Fatalf("no multipart upload reached its second part (job: %v)", err)
	}
	took := time.Since(time.Unix(0, canceledAt.Load()))
	if !errors.Is(err, stream.ErrCanceled) {
		t.Fatalf("the canceled job returned %v", err)
	}
	if took > 10*time.Second {
		t.Fatalf("the canceled job took %v to end with the abort hanging", took)
	}
	mu.Lock()
	got := log.String()
	mu.Unlock()
	for _, want := range []string{"WARNING: aborting the multipart upload", *cut.Load(), "lifecycle rule"} {
		if !strings.Contains(got, want) {
			t.Fatalf("the job's log does not mention %q:\n%s", want, got)
		}
	}
	t.Logf("ended %v after the cancellation", took)
}

// TestS3SavepointAbortLogged: a savepoint written into S3 whose state file
// goes up as a multipart upload, refused at its second part, fails; the
// abort of that upload is refused too, and the warning naming the upload
// goes to the job's log (CheckpointOptions.Logf), not to standard error.
func TestS3SavepointAbortLogged(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a savepoint of several MB")
	}
	w := newS3Watch(t)
	var refused atomic.Pointer[string]
	refuse := func(rw http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/"+watchBucket+"/sp/") || r.URL.Query().Get("partNumber") != "2" {
			return false
		}
		key := strings.TrimPrefix(r.URL.Path, "/"+watchBucket+"/")
		refused.CompareAndSwap(nil, &key)
		io.Copy(io.Discard, r.Body)
		http.Error(rw, "injected refusal", http.StatusForbidden) // not retried
		return true
	}
	refuseAbort := func(rw http.ResponseWriter, r *http.Request) bool {
		http.Error(rw, "injected refusal", http.StatusForbidden)
		return true
	}
	w.onPart.Store(&refuse)
	w.onAbort.Store(&refuseAbort)
	var mu sync.Mutex
	var log strings.Builder
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&log, format+"\n", args...)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: 1,
		Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), Interval: time.Hour, Logf: logf}})
	var seen atomic.Int64
	var fast atomic.Bool
	src := stream.FromGenerator(env, blobKeys*blobRounds, func(_ int, i int64) blobEvent {
		return blobEvent{Key: int(i % blobKeys), Round: int(i / blobKeys)}
	}, stream.WatermarkStrategy[blobEvent]{})
	paced := stream.Map(src, func(e blobEvent) blobEvent {
		if seen.Add(1) > blobKeys && !fast.Load() {
			time.Sleep(time.Millisecond) // every key holds its blob: slow until the savepoint returned
		}
		return e
	})
	keyed := stream.KeyBy(paced, func(e blobEvent) int { return e.Key })
	out := stream.KeyedProcess(keyed, func() stream.KeyedProcessFunction[int, blobEvent, string] { return &blobCheck{} }).UID("blob-check")
	stream.SinkTo[string](out, streamtest.NewTxSink[string](), "tx-sink")
	done := make(chan error, 1)
	go func() { done <- env.Execute(context.Background()) }()
	for seen.Load() <= blobKeys {
		time.Sleep(time.Millisecond)
	}
	_, spErr := env.Savepoint(context.Background(), "s3://"+watchBucket+"/sp/x", false)
	fast.Store(true)
	if err := <-done; err != nil {
		t.Fatalf("job: %v", err)
	}
	if refused.Load() == nil {
		t.Fatalf("no savepoint file reached a second part (savepoint: %v)", spErr)
	}
	if spErr == nil {
		t.Fatal("the savepoint succeeded with a refused part")
	}
	mu.Lock()
	got := log.String()
	mu.Unlock()
	for _, want := range []string{"WARNING: aborting the multipart upload", *refused.Load()} {
		if !strings.Contains(got, want) {
			t.Fatalf("the job's log does not mention %q (savepoint: %v):\n%s", want, spErr, got)
		}
	}
}
