package journal

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

func segmentLogs(t *testing.T, c vfs.FS) []string {
	t.Helper()
	names, err := c.ReadDir(partDir)
	if err != nil {
		t.Fatal(err)
	}
	var logs []string
	for _, n := range names {
		if strings.HasSuffix(n, ".log") {
			logs = append(logs, n)
		}
	}
	return logs
}

func TestRollByAge(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	clk := newClock()
	o.Now = clk.Now
	o.SegmentAge = time.Hour
	j := mustOpen(t, "j", o)
	defer j.Close()
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, Record{Value: []byte("a")})
	mustAppend(t, j, "t", 0, Record{Value: []byte("b")})
	if n := len(segmentLogs(t, c)); n != 1 {
		t.Fatalf("%d segments before the age limit", n)
	}
	clk.Add(2 * time.Hour)
	mustAppend(t, j, "t", 0, Record{Value: []byte("c")})
	if got := segmentLogs(t, c); !slices.Equal(got, []string{"00000000000000000000.log", "00000000000000000002.log"}) {
		t.Fatalf("segments after the age limit: %v", got)
	}
}

func TestRelaxedSyncsOnItsInterval(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.Durability = Relaxed
	o.SyncInterval = 5 * time.Millisecond
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, Record{Value: []byte("a")})
	time.Sleep(300 * time.Millisecond)
	c.Crash() // while open: nothing but the interval sync made it durable
	// The journal's syncs after the crash fail (its handles are stale),
	// which writes a sync-failed marker: Crash is a power loss and a
	// reboot, so the reopen is in another boot.
	_ = j.Close()
	o = quietOpts(c, nil)
	o.BootID = bootIs("after-the-crash")
	j = mustOpen(t, "j", o)
	defer j.Close()
	if _, end, _ := j.Bounds("t", 0); end != 1 {
		t.Fatalf("end %d after a crash 300 ms after a relaxed append with a 5 ms sync interval", end)
	}
}

// The clean-shutdown marker skips the scan: damage of the same size in the
// active segment is then not noticed by Open, but a read still refuses it.
// Without the marker the scan finds it (and, the read having quarantined
// the partition, quarantines it again rather than cutting it).
func TestCleanMarkerSkipsTheScan(t *testing.T) {
	c := vfs.NewCrashFS(1)
	j := mustOpen(t, "j", quietOpts(c, nil))
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		mustAppend(t, j, "t", 0, Record{Value: []byte("0123456789")})
	}
	_ = j.Close()
	name := partDir + "/00000000000000000000.log"
	data, _ := vfs.ReadFile(c, name)
	data[len(data)-3] ^= 0xff // inside the last batch's value
	putFile(t, c, name, data)

	j = mustOpen(t, "j", quietOpts(c, nil))
	if tr := j.Truncations(); len(tr) != 0 {
		t.Fatalf("a clean open scanned: %v", tr)
	}
	if _, err := j.Read(context.Background(), "t", 0, 9, ReadOptions{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("read of the damaged batch: %v, want ErrCorrupt", err)
	}
	// The read quarantined the partition (L4): Close says so and leaves
	// no marker, so the next Open scans; the quarantine file the read
	// wrote makes it quarantine the damaged batch again, not cut it as a
	// torn tail (acknowledged batches could follow it).
	if err := j.Close(); !errors.Is(err, ErrQuarantined) {
		t.Fatalf("close after a damaged read: %v, want ErrQuarantined", err)
	}
	if _, err := c.Stat(partDir + "/" + cleanFile); !vfs.IsNotExist(err) {
		t.Fatalf("clean marker after a quarantine: %v", err)
	}
	j = mustOpen(t, "j", quietOpts(c, nil))
	if tr := j.Truncations(); len(tr) != 0 {
		t.Fatalf("the open after a read's quarantine cut the log: %v", tr)
	}
	if q := j.Quarantines(); len(q) != 1 || q[0].Offset != 9 {
		t.Fatalf("quarantines %+v, want one at offset 9", q)
	}
	if _, end, _ := j.Bounds("t", 0); end != 9 {
		t.Fatalf("end %d, want 9", end)
	}
	_ = j.Close()
	// The operator's truncation ends it.
	if _, err := TruncatePartition("j", c, "t", 0, 9, false); err != nil {
		t.Fatal(err)
	}
	j = mustOpen(t, "j", quietOpts(c, nil))
	defer j.Close()
	if q := j.Quarantines(); len(q) != 0 {
		t.Fatalf("quarantines after the truncation: %+v", q)
	}
	if _, end, _ := j.Bounds("t", 0); end != 9 {
		t.Fatalf("end %d after the truncation, want 9", end)
	}
}

// Tail readers, appenders and retention at once (for the race detector):
// every reader sees offsets in order and each offset's value once.
func TestConcurrentTailAndRetention(t *testing.T) {
	o := quietOpts(vfs.OS{}, nil)
	o.Durability = Relaxed
	o.SegmentBytes = 2 << 10
	o.RetentionBytes = 8 << 10
	j := mustOpen(t, t.TempDir(), o)
	defer j.Close()
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	const total = 3000
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range total / 2 {
				if _, err := j.Append(ctx, "t", 0, Record{Value: []byte{byte(w), byte(i)}}); err != nil {
					t.Error(err)
					return
				}
				if i%100 == 0 {
					_ = j.EnforceRetention(ctx)
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			next := int64(0)
			for next < total {
				ms, err := j.Poll(ctx, "t", 0, next, ReadOptions{MaxRecords: 50})
				if errors.Is(err, ErrOffsetOutOfRange) {
					start, _, _ := j.Bounds("t", 0)
					if start <= next {
						t.Errorf("out of range at %d with start %d", next, start)
						return
					}
					next = start
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				for _, m := range ms {
					if m.Offset != next {
						t.Errorf("offset %d, want %d", m.Offset, next)
						return
					}
					next++
				}
			}
		})
	}
	wg.Wait()
}

func TestScanMatchesRead(t *testing.T) {
	rng := rand.New(rand.NewPCG(seed(t), 11))
	o := quietOpts(nil, nil)
	o.SegmentBytes = 8 << 10
	o.IndexInterval = 512
	b := build(t, rng, o, 2000, 80, 5, true)
	j := mustOpen(t, "j", quietOpts(restore(t, b.files, 1), nil))
	defer j.Close()
	ctx := context.Background()
	for range 300 {
		from := rng.Int64N(int64(len(b.want)) + 1)
		ro := ReadOptions{MaxBytes: 1 + rng.IntN(20_000), MaxRecords: rng.IntN(300)}
		want, err := j.Read(ctx, "t", 0, from, ro)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range want {
			if m.Offset != from+int64(i) || !sameRecord(m.Record, b.want[m.Offset]) {
				t.Fatalf("read from %d %+v: message %d has offset %d or the wrong record", from, ro, i, m.Offset)
			}
		}
		if from < int64(len(b.want)) && len(want) == 0 {
			t.Fatalf("read from %d %+v returned nothing", from, ro)
		}
		var got []Message
		next, err := j.Scan(ctx, "t", 0, from, ro, func(m *Message) error {
			c := *m
			c.Key, c.Value, c.Headers = slices.Clone(m.Key), slices.Clone(m.Value), slices.Clone(m.Headers)
			for i := range c.Headers {
				c.Headers[i].Value = slices.Clone(c.Headers[i].Value)
			}
			got = append(got, c)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || next != from+int64(len(got)) {
			t.Fatalf("from %d %+v: scan passed %d records (next %d), read returned %d", from, ro, len(got), next, len(want))
		}
		for i := range got {
			if got[i].Offset != want[i].Offset || !sameRecord(got[i].Record, want[i].Record) {
				t.Fatalf("from %d: record %d differs", from, i)
			}
		}
	}
	stop := errors.New("stop")
	next, err := j.Scan(ctx, "t", 0, 10, ReadOptions{}, func(m *Message) error {
		if m.Offset == 15 {
			return stop
		}
		return nil
	})
	if err != stop || next != 15 {
		t.Fatalf("stopped scan: next %d, %v", next, err)
	}
	if _, err := j.Scan(ctx, "t", 0, int64(len(b.want))+1, ReadOptions{}, nil); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("scan past the end: %v", err)
	}
}
