package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

const testBucket = "strom-ckpt"

// fakeS3 is an in-process S3 (gofakes3 on memory) behind an httptest
// server on the loopback interface.
type fakeS3 struct {
	backend *s3mem.Backend
	srv     *httptest.Server
	deny    atomic.Pointer[func(*http.Request) bool] // answered 403 AccessDenied
	hang    atomic.Pointer[func(*http.Request) bool] // never answered (until the client gives up)
}

func newFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	f := &fakeS3{backend: s3mem.New()}
	if err := f.backend.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	h := gofakes3.New(f.backend).Server()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang := f.hang.Load(); hang != nil && (*hang)(r) {
			<-r.Context().Done()
			return
		}
		if deny := f.deny.Load(); deny != nil && (*deny)(r) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeS3) options(prefix string) S3Options {
	return S3Options{Endpoint: f.srv.URL, Bucket: testBucket, Prefix: prefix, Region: "us-east-1",
		AccessKey: "test-key", SecretKey: "test-secret"}
}

func (f *fakeS3) storage(t *testing.T, prefix string) *S3 {
	t.Helper()
	s, err := NewS3(f.options(prefix))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// s3StoreCase runs the conformance tests of storage_test.go over S3.
var s3StoreCase = storeCase{"s3", func(t *testing.T) *store {
	f := newFakeS3(t)
	const root = "jobs/q1/"
	s := f.storage(t, "/jobs/q1/")
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	put := func(t *testing.T, key string, data []byte) {
		_, err := f.backend.PutObject(testBucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil)
		must(t, err)
	}
	return &store{
		s: s,
		read: func(t *testing.T, rel string) []byte {
			obj, err := f.backend.GetObject(testBucket, root+rel, nil)
			must(t, err)
			defer obj.Contents.Close()
			data, err := io.ReadAll(obj.Contents)
			must(t, err)
			return data
		},
		write: func(t *testing.T, rel string, data []byte) { put(t, root+rel, data) },
		remove: func(t *testing.T, rel string) {
			_, err := f.backend.DeleteObject(testBucket, root+rel)
			must(t, err)
		},
		names: func(t *testing.T, rel string) []string {
			prefix := root
			if rel != "" {
				prefix += rel + "/"
			}
			list, err := f.backend.ListBucket(testBucket, &gofakes3.Prefix{HasPrefix: true, Prefix: prefix, HasDelimiter: true, Delimiter: "/"},
				gofakes3.ListBucketPage{})
			must(t, err)
			var names []string
			for _, p := range list.CommonPrefixes {
				names = append(names, strings.TrimSuffix(strings.TrimPrefix(p.Prefix, prefix), "/"))
			}
			for _, c := range list.Contents {
				names = append(names, strings.TrimPrefix(c.Key, prefix))
			}
			slices.Sort(names)
			return names
		},
		mkdir: func(t *testing.T, rel string) { put(t, root+rel+"/keep", []byte("x")) },
	}
}}

func TestS3OptionsFromURL(t *testing.T) {
	env := map[string]string{EnvAWSAccessKeyID: "AK", EnvAWSSecretKey: "SK", EnvAWSRegion: "eu-central-1"}
	getenv := func(k string) string { return env[k] }
	o, err := S3OptionsFromURL("s3://my-bucket/jobs/q1/", getenv)
	if err != nil {
		t.Fatal(err)
	}
	want := S3Options{Endpoint: DefaultS3Endpoint, Bucket: "my-bucket", Prefix: "jobs/q1", Region: "eu-central-1", AccessKey: "AK", SecretKey: "SK", PartSize: DefaultS3PartSize, AbortTimeout: DefaultS3AbortTimeout}
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("got %+v\nwant %+v", o, want)
	}
	env[EnvS3Endpoint] = "http://127.0.0.1:9000"
	if o, err := S3OptionsFromURL("s3://my-bucket", getenv); err != nil || o.Endpoint != "127.0.0.1:9000" || !o.DisableSSL || o.Prefix != "" {
		t.Fatalf("MinIO endpoint: %+v, %v", o, err)
	}
	env[EnvS3Endpoint] = "https://minio.example:9000/"
	if o, err := S3OptionsFromURL("s3://my-bucket/p", getenv); err != nil || o.Endpoint != "minio.example:9000" || o.DisableSSL {
		t.Fatalf("https endpoint: %+v, %v", o, err)
	}
	for _, bad := range []string{"s3://", "s3:///prefix", "s3://Bad_Bucket/p", "s3://user:pw@bucket/p", "s3://bucket/p?x=1",
		"s3://bucket/a//b", "s3://bucket/a/../b", "file:///tmp/x"} {
		if o, err := S3OptionsFromURL(bad, getenv); err == nil {
			t.Errorf("%s accepted: %+v", bad, o)
		}
	}
	delete(env, EnvAWSSecretKey)
	if _, err := S3OptionsFromURL("s3://my-bucket/p", getenv); err == nil || !strings.Contains(err.Error(), EnvAWSSecretKey) {
		t.Fatalf("without a secret key: %v", err)
	}
	env[EnvAWSSecretKey] = "SK"
	for v, want := range map[string]int64{"5MiB": 5 << 20, "6291456": 6 << 20, "1GiB": 1 << 30, "5120KiB": 5 << 20} {
		env[EnvS3PartSize] = v
		if o, err := S3OptionsFromURL("s3://my-bucket/p", getenv); err != nil || o.PartSize != want {
			t.Errorf("%s=%s: part size %d, %v; want %d", EnvS3PartSize, v, o.PartSize, err, want)
		}
	}
	for _, bad := range []string{"4MiB", "x", "-5MiB", "6GiB", "5 MiB", "5MB", "9223372036854775807GiB"} {
		env[EnvS3PartSize] = bad
		if _, err := S3OptionsFromURL("s3://my-bucket/p", getenv); err == nil || !strings.Contains(err.Error(), "part size") && !strings.Contains(err.Error(), EnvS3PartSize) {
			t.Errorf("%s=%s: %v", EnvS3PartSize, bad, err)
		}
	}
	delete(env, EnvS3PartSize)
	if o, err := S3OptionsFromURL("s3://my-bucket/p", getenv); err != nil || o.AbortTimeout != DefaultS3AbortTimeout {
		t.Errorf("no %s: abort timeout %v, %v; want %v", EnvS3AbortTimeout, o.AbortTimeout, err, DefaultS3AbortTimeout)
	}
	for v, want := range map[string]time.Duration{"10s": 10 * time.Second, "500ms": 500 * time.Millisecond, "1m30s": 90 * time.Second} {
		env[EnvS3AbortTimeout] = v
		if o, err := S3OptionsFromURL("s3://my-bucket/p", getenv); err != nil || o.AbortTimeout != want {
			t.Errorf("%s=%s: abort timeout %v, %v; want %v", EnvS3AbortTimeout, v, o.AbortTimeout, err, want)
		}
	}
	for _, bad := range []string{"0", "0s", "-1s", "3", "x", "3 s"} {
		env[EnvS3AbortTimeout] = bad
		if _, err := S3OptionsFromURL("s3://my-bucket/p", getenv); err == nil || !strings.Contains(err.Error(), EnvS3AbortTimeout) {
			t.Errorf("%s=%s: %v", EnvS3AbortTimeout, bad, err)
		}
	}
	delete(env, EnvS3AbortTimeout)
	env[EnvS3Endpoint] = "host:9000/path"
	if _, err := S3OptionsFromURL("s3://my-bucket/p", getenv); err == nil {
		t.Fatal("endpoint with a path accepted")
	}
}

func TestOpen(t *testing.T) {
	t.Setenv(EnvAWSAccessKeyID, "AK")
	t.Setenv(EnvAWSSecretKey, "SK")
	t.Setenv(EnvS3Endpoint, "http://127.0.0.1:1")
	st, err := Open(nil, "s3://b-1/x/y")
	if s, ok := st.(*S3); err != nil || !ok || s.String() != "s3://b-1/x/y" || !s.Options().DisableSSL {
		t.Fatalf("Open(s3://) = %v, %v", st, err)
	}
	dir := t.TempDir()
	if st, err := Open(nil, dir); err != nil {
		t.Fatal(err)
	} else if l, ok := st.(*Local); !ok || l.Dir() != dir {
		t.Fatalf("Open(dir) = %v", st)
	}
	if _, err := Open(nil, "gs://bucket/x"); err == nil || !strings.Contains(err.Error(), "unsupported scheme") {
		t.Fatalf("Open(gs://) = %v", err)
	}
}

// TestS3Errors: a missing object is fs.ErrNotExist, and messages name the
// bucket and the key.
func TestS3Errors(t *testing.T) {
	ctx := context.Background()
	f := newFakeS3(t)
	s := f.storage(t, "p")
	_, err := s.ReadFile(ctx, 1, "a.kg", nil)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "s3://strom-ckpt/p/chk-1/a.kg") {
		t.Fatalf("missing object: %v", err)
	}
	if _, err := s.Load(ctx, 1); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "s3://strom-ckpt/p/chk-1/_metadata") {
		t.Fatalf("missing metadata: %v", err)
	}
	if err := s.Delete(ctx, 1); err != nil {
		t.Fatalf("Delete of a missing checkpoint: %v", err)
	}
	// A bucket that does not exist is an error, never "no checkpoint yet"
	// (which would start the job from empty state).
	o := f.options("p")
	o.Bucket = "no-such-bucket"
	missing, err := NewS3(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := missing.LoadLatest(ctx, nil); err == nil || errors.Is(err, ErrNoCheckpoint) || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("missing bucket: %v", err)
	}
	if _, err := missing.WriteFile(ctx, 1, "a.kg", []byte("x")); err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("write into a missing bucket: %v", err)
	}
}

// TestS3ReadErrorDoesNotFallBack: an error of the store is not corruption;
// LoadLatest reports it instead of restoring an older checkpoint.
func TestS3ReadErrorDoesNotFallBack(t *testing.T) {
	ctx := context.Background()
	f := newFakeS3(t)
	s := f.storage(t, "p")
	mustCheckpoint(t, s, 1)
	mustCheckpoint(t, s, 2)
	deny := func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/chk-2/agg-1.kg")
	}
	f.deny.Store(&deny)
	m, err := s.LoadLatest(ctx, t.Logf)
	if err == nil || errors.Is(err, ErrNoCheckpoint) || errors.Is(err, ErrCorrupt) || m != nil ||
		!strings.Contains(err.Error(), "Access Denied") || !strings.Contains(err.Error(), "s3://strom-ckpt/p/chk-2/agg-1.kg") {
		t.Fatalf("got %v, %v", m, err)
	}
	f.deny.Store(nil)
	if m, err := s.LoadLatest(ctx, t.Logf); err != nil || m.ID != 2 {
		t.Fatalf("after the error: %v, %v", m, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.LoadLatest(cctx, t.Logf); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	if _, err := s.WriteFile(cctx, 3, "a.kg", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled write: %v", err)
	}
}

// TestS3ConcurrentCommit: of two commits of one checkpoint racing, exactly
// one succeeds (the conditional put of _metadata).
func TestS3ConcurrentCommit(t *testing.T) {
	ctx := context.Background()
	f := newFakeS3(t)
	s := f.storage(t, "")
	for round := int64(1); round <= 5; round++ {
		data := EncodeKeyed(0, 8, nil)
		sum, err := s.WriteFile(ctx, round, "a.kg", data)
		if err != nil {
			t.Fatal(err)
		}
		m := &Metadata{ID: round, MaxParallelism: 8, Operators: []OperatorState{{UID: "agg", Parallelism: 1,
			Keyed: []KeyedFile{{Name: "a.kg", Start: 0, End: 8, Size: sum.Size, CRC: sum.CRC}}}}}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { errs[i] = s.CommitMetadata(ctx, m) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrExists):
				t.Fatal(err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d commits succeeded: %v", round, ok, errs)
		}
	}
	if ids, err := s.List(ctx); err != nil || !slices.Equal(ids, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("List = %v, %v", ids, err)
	}
}

// TestS3RetentionStoppedAtEveryRequest is TestCrashAtEveryStepOfChainedRetention
// over S3: retention stops at each of its deleting requests in turn (the
// store refuses it and every later one, as if the process died there).
// Every checkpoint still listed verifies, the newest is listed, and a
// retention run again afterwards keeps exactly the objects the chains use.
func TestS3RetentionStoppedAtEveryRequest(t *testing.T) {
	ctx := context.Background()
	for k := 0; ; k++ {
		f := newFakeS3(t)
		s := f.storage(t, "ckpt")
		_, m7, _ := chainedHistory(t, s)
		var n atomic.Int64
		deny := func(r *http.Request) bool {
			if r.Method != http.MethodDelete && !(r.Method == http.MethodPost && r.URL.Query().Has("delete")) {
				return false
			}
			return n.Add(1) > int64(k)
		}
		f.deny.Store(&deny)
		err := s.Retain(ctx, 2)
		f.deny.Store(nil)
		what := fmt.Sprintf("retention stopped at deleting request %d", k+1)
		if err == nil && n.Load() > int64(k) {
			t.Fatalf("%s: Retain succeeded although the store refused a delete", what)
		}
		ids, lerr := s.List(ctx)
		if lerr != nil {
			t.Fatal(lerr)
		}
		if len(ids) == 0 || ids[len(ids)-1] != m7.ID {
			t.Fatalf("%s: List = %v", what, ids)
		}
		for _, id := range ids {
			if _, verr := Verify(ctx, s, id); verr != nil {
				t.Fatalf("%s: chk-%d is listed but: %v", what, id, verr)
			}
		}
		if err := s.Retain(ctx, 2); err != nil {
			t.Fatalf("%s: Retain again: %v", what, err)
		}
		if ids, _ := s.List(ctx); !slices.Equal(ids, []int64{6, 7}) {
			t.Fatalf("%s: List after the second Retain = %v", what, ids)
		}
		list, lerr := f.backend.ListBucket(testBucket, &gofakes3.Prefix{HasPrefix: true, Prefix: "ckpt/chk-"}, gofakes3.ListBucketPage{})
		if lerr != nil {
			t.Fatal(lerr)
		}
		var keys []string
		for _, c := range list.Contents {
			if !strings.HasPrefix(c.Key, "ckpt/chk-6/") && !strings.HasPrefix(c.Key, "ckpt/chk-7/") {
				keys = append(keys, strings.TrimPrefix(c.Key, "ckpt/"))
			}
		}
		slices.Sort(keys)
		if want := []string{"chk-1/agg-0.kg", "chk-1/agg-1.kg", "chk-2/agg-0-d2.kg", "chk-2/agg-1-d2.kg", "chk-3/agg-0-d3.kg"}; !slices.Equal(keys, want) {
			t.Fatalf("%s: the subsumed checkpoints left %q, want %q", what, keys, want)
		}
		if err == nil {
			if k < 5 {
				t.Fatalf("retention made only %d deleting requests: the test is not stopping it where it should", k)
			}
			break
		}
	}
}

// A file streamed into S3 (CreateFile): below one part it is put whole, above
// it goes up in a multipart upload as it is written, and reads back the same
// either way; Abort, a wrong size on Commit, a store refusing a part and a
// checkpoint completed meanwhile leave no object and no multipart upload.
func TestS3CreateFile(t *testing.T) {
	ctx := context.Background()
	f := newFakeS3(t)
	opts := f.options("p")
	opts.PartSize = 5 << 20
	s, err := NewS3(opts)
	if err != nil {
		t.Fatal(err)
	}
	var parts atomic.Int64 // UploadPart requests seen
	var refuseParts atomic.Bool
	deny := func(r *http.Request) bool {
		if r.Method == http.MethodPut && r.URL.Query().Get("partNumber") != "" {
			parts.Add(1)
			return refuseParts.Load()
		}
		return false
	}
	f.deny.Store(&deny)
	data := make([]byte, 12<<20+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	write := func(name string, data []byte) FileWriter {
		t.Helper()
		w, err := s.CreateFile(ctx, 1, name)
		if err != nil {
			t.Fatal(err)
		}
		for off, step := 0, 1; off < len(data); step = step*3 + 1 { // pieces of growing sizes
			end := min(off+step, len(data))
			if _, err := w.Write(data[off:end]); err != nil {
				t.Fatalf("%s: write at %d: %v", name, off, err)
			}
			off = end
		}
		return w
	}
	noUploads := func(when string) {
		t.Helper()
		for u := range s.client.ListIncompleteUploads(ctx, testBucket, "p/", true) {
			t.Fatalf("%s: a multipart upload was left behind: %+v", when, u)
		}
	}
	exists := func(name string) bool {
		_, err := s.ReadFile(ctx, 1, name, nil)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return err == nil
	}
	sumOf := func(b []byte) FileSum { return FileSum{Size: int64(len(b)), CRC: CRC(b)} }

	small := data[:1<<20]
	if err := write("small.state", small).Commit(sumOf(small)); err != nil {
		t.Fatal(err)
	}
	if parts.Load() != 0 {
		t.Fatalf("a file below one part made %d part uploads", parts.Load())
	}
	sum := sumOf(data)
	if err := write("big.state", data).Commit(sum); err != nil {
		t.Fatal(err)
	}
	if n := parts.Load(); n != 3 {
		t.Fatalf("12 MiB in 5 MiB parts: %d part uploads, want 3", n)
	}
	for name, want := range map[string][]byte{"small.state": small, "big.state": data} {
		got, err := s.ReadFile(ctx, 1, name, &FileSum{Size: int64(len(want)), CRC: CRC(want)})
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s reads back %d bytes (equal: %v), %v", name, len(got), bytes.Equal(got, want), err)
		}
	}
	noUploads("after the commits")
	// WriteFile of more than a part: a multipart upload too (one PUT may
	// not take more than 5 GiB).
	if got, err := s.WriteFile(ctx, 1, "written.state", data); err != nil || got != sum {
		t.Fatalf("WriteFile of %d bytes = %+v, %v", len(data), got, err)
	}
	if n := parts.Load(); n != 6 {
		t.Fatalf("WriteFile of 12 MiB in 5 MiB parts: %d part uploads in all, want 3 more than the 3 before", n)
	}
	if got, err := s.ReadFile(ctx, 1, "written.state", &sum); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("written.state reads back %d bytes, %v", len(got), err)
	}
	noUploads("after WriteFile")

	write("aborted.state", data).Abort()
	if w := write("wrong-size.state", data); w.Commit(FileSum{Size: sum.Size - 1, CRC: sum.CRC}) == nil {
		t.Fatal("a wrong size was accepted")
	}
	refuseParts.Store(true)
	w, err := s.CreateFile(ctx, 1, "refused.state")
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for off := 0; off < len(data) && werr == nil; off += 1 << 20 {
		_, werr = w.Write(data[off:min(off+1<<20, len(data))])
	}
	if werr == nil {
		werr = w.Commit(sum)
	} else {
		w.Abort()
	}
	if werr == nil || !strings.Contains(werr.Error(), "Access Denied") || !strings.Contains(werr.Error(), "refused.state") {
		t.Fatalf("a part refused by the store: %v", werr)
	}
	refuseParts.Store(false)
	for _, name := range []string{"aborted.state", "wrong-size.state", "refused.state"} {
		if exists(name) {
			t.Fatalf("%s exists", name)
		}
	}
	noUploads("after Abort, a refused Commit and a refused part")

	// The checkpoint completes while a file is written: Commit refuses.
	late := write("late.state", data)
	if err := s.CommitMetadata(ctx, &Metadata{ID: 1, MaxParallelism: 8}); err != nil {
		t.Fatal(err)
	}
	if err := late.Commit(sum); !errors.Is(err, ErrExists) {
		t.Fatalf("Commit into a complete checkpoint: %v", err)
	}
	if exists("late.state") {
		t.Fatal("late.state exists")
	}
	noUploads("after a Commit into a complete checkpoint")
	if _, err := s.CreateFile(ctx, 1, "x.state"); !errors.Is(err, ErrExists) {
		t.Fatalf("CreateFile in a complete checkpoint: %v", err)
	}
	opts.PartSize = 1 << 20
	if _, err := NewS3(opts); err == nil || !strings.Contains(err.Error(), "part size") {
		t.Fatalf("a 1 MiB part size: %v", err)
	}
}

// TestS3StreamBufferReused: a streamed file's buffer, grown up to a part by
// a multipart file, serves the next files (no new first-part buffer per
// file), and at most maxSpareBufs are kept.
func TestS3StreamBufferReused(t *testing.T) {
	ctx := context.Background()
	f := newFakeS3(t)
	opts := f.options("p")
	opts.PartSize = 5 << 20
	s, err := NewS3(opts)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), (11<<20)/16)
	put := func(name string, data []byte) *s3File {
		t.Helper()
		w, err := s.CreateFile(ctx, 1, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		return w.(*s3File)
	}
	commit := func(w *s3File, data []byte) {
		t.Helper()
		if err := w.Commit(FileSum{Size: int64(len(data)), CRC: CRC(data)}); err != nil {
			t.Fatal(err)
		}
	}
	big := put("big.state", data)
	buf := big.buf[:1]
	if cap(buf) != int(opts.PartSize) {
		t.Fatalf("a multipart file's buffer holds %d bytes, want one part (%d)", cap(buf), opts.PartSize)
	}
	commit(big, data)
	for i, name := range []string{"a.state", "b.state"} {
		w := put(name, data[:1000+i])
		if &w.buf[:1][0] != &buf[0] {
			t.Fatalf("%s got a new buffer of %d bytes, not the part buffer of big.state", name, cap(w.buf))
		}
		commit(w, data[:1000+i])
	}
	// Three files at once: three buffers, two kept.
	ws := []*s3File{put("c.state", data[:10]), put("d.state", data[:10]), put("e.state", data[:10])}
	for _, w := range ws {
		w.Abort()
	}
	if len(s.spare) != maxSpareBufs {
		t.Fatalf("%d spare buffers kept, want %d", len(s.spare), maxSpareBufs)
	}
	for name, want := range map[string][]byte{"big.state": data, "a.state": data[:1000], "b.state": data[:1001]} {
		got, err := s.ReadFile(ctx, 1, name, &FileSum{Size: int64(len(want)), CRC: CRC(want)})
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s reads back %d bytes: %v", name, len(got), err)
		}
	}
}

// TestS3AbortBounded: the abort of a multipart upload is bounded by
// AbortTimeout (an unresponsive store cannot hold a job's cancellation),
// also when the write's context was canceled, and an abort that fails or
// times out is reported with the object, the upload id and the lifecycle
// rule that cleans such uploads.
func TestS3AbortBounded(t *testing.T) {
	f := newFakeS3(t)
	opts := f.options("p")
	opts.PartSize = 5 << 20
	opts.AbortTimeout = 300 * time.Millisecond
	var mu sync.Mutex
	var warnings []string
	opts.Logf = func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		warnings = append(warnings, fmt.Sprintf(format, args...))
	}
	s, err := NewS3(opts)
	if err != nil {
		t.Fatal(err)
	}
	isAbort := func(r *http.Request) bool {
		return r.Method == http.MethodDelete && r.URL.Query().Has("uploadId")
	}
	data := make([]byte, 6<<20) // more than a part: a multipart upload
	for _, c := range []struct {
		name string
		hook *atomic.Pointer[func(*http.Request) bool]
		want string
	}{
		{"hung.state", &f.hang, "no answer within 300ms"},
		{"denied.state", &f.deny, "Access Denied"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		w, err := s.CreateFile(ctx, 1, c.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		upload := w.(*s3File).upload
		if upload == "" {
			t.Fatalf("%s: no multipart upload started", c.name)
		}
		c.hook.Store(&isAbort)
		cancel() // the job is canceled: the abort is still sent, bounded
		start := time.Now()
		w.Abort()
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%s: Abort took %v with AbortTimeout 300ms", c.name, d)
		}
		c.hook.Store(nil)
		mu.Lock()
		got := strings.Join(warnings, "\n")
		warnings = nil
		mu.Unlock()
		for _, want := range []string{c.name, upload, c.want, "lifecycle rule", "AbortIncompleteMultipartUpload"} {
			if !strings.Contains(got, want) {
				t.Fatalf("%s: the warning %q does not mention %q", c.name, got, want)
			}
		}
	}
	if err := (S3Options{Bucket: testBucket, AccessKey: "a", SecretKey: "b", AbortTimeout: -1}).Validate(); err == nil {
		t.Fatal("a negative AbortTimeout was accepted")
	}
}
