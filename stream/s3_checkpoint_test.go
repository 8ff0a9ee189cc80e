package stream_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/vfs"
	"github.com/stromio/strom/streamtest"
)

// TestCheckpointRestartFromS3: the job of TestCheckpointRestartExactlyOnce
// with --checkpoint-dir s3://bucket/prefix, against an in-process fake S3
// on the loopback interface (STROM_S3_ENDPOINT): it checkpoints into the
// bucket, fails once, restores from the bucket and commits exactly the
// output of a fault-free run.
func TestCheckpointRestartFromS3(t *testing.T) {
	const bucket = "strom-e2e"
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	t.Setenv("STROM_S3_ENDPOINT", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_SESSION_TOKEN", "")

	golden := streamtest.NewTxSink[string]()
	var f0 atomic.Bool
	if err := checkpointJob(t, t.TempDir(), 2, golden, 0, &f0); err != nil {
		t.Fatal(err)
	}
	sink := streamtest.NewTxSink[string]()
	var failed atomic.Bool
	if err := checkpointJob(t, "s3://"+bucket+"/jobs/e2e", 2, sink, 5000, &failed); err != nil {
		t.Fatal(err)
	}
	if !failed.Load() {
		t.Fatal("the failure was never injected")
	}
	want, got := slices.Clone(golden.Rows()), slices.Clone(sink.Rows())
	sort.Strings(want)
	sort.Strings(got)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("committed output differs from the fault-free run: %d rows, want %d\n got %.20q\nwant %.20q", len(got), len(want), got, want)
	}
	for _, r := range got {
		if strings.HasPrefix(r, "ALERT") {
			t.Fatalf("sequence alert: %s", r)
		}
	}
	if sink.Commits() < 2 {
		t.Fatalf("only %d commits: checkpoints did not happen during the run", sink.Commits())
	}
	// The checkpoints are in the bucket, under the prefix, retention applied.
	list, err := backend.ListBucket(bucket, &gofakes3.Prefix{HasPrefix: true, Prefix: "jobs/e2e/"}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var metas []string
	for _, c := range list.Contents {
		if strings.HasSuffix(c.Key, "/_metadata") {
			metas = append(metas, c.Key)
		}
	}
	// Retention keeps the newest two (the default) as checkpoints, and of
	// the older ones (subsumed: no metadata) only the objects the chains
	// of those two use.
	st, err := checkpoint.Open(vfs.OS{}, "s3://"+bucket+"/jobs/e2e")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ids, err := st.List(ctx)
	if err != nil || len(ids) == 0 || len(ids) > 2 || len(ids) != len(metas) {
		t.Fatalf("List = %v, %v; metadata objects %q", ids, err, metas)
	}
	used := map[string]bool{}
	for _, id := range ids {
		m, err := checkpoint.Verify(ctx, st, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range m.Operators {
			for _, f := range op.Keyed {
				for _, l := range f.Links(id) {
					used["jobs/e2e/"+checkpoint.ChkDirName(l.Dir)+"/"+l.Name] = true
				}
			}
		}
	}
	for _, c := range list.Contents {
		dir, _, _ := strings.Cut(strings.TrimPrefix(c.Key, "jobs/e2e/"), "/")
		listed := slices.ContainsFunc(ids, func(id int64) bool { return checkpoint.ChkDirName(id) == dir })
		if !listed && !used[c.Key] {
			t.Fatalf("the bucket keeps %s, which neither a listed checkpoint %v holds nor their chains use", c.Key, ids)
		}
	}
	t.Logf("%d objects in the bucket; complete: %q", len(list.Contents), metas)
}
