package journal

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

func TestAppendReadReopen(t *testing.T) {
	for _, fsName := range []string{"os", "crash"} {
		t.Run(fsName, func(t *testing.T) {
			var fsys vfs.FS = vfs.NewCrashFS(1)
			dir := "j"
			if fsName == "os" {
				fsys, dir = vfs.OS{}, t.TempDir()
			}
			o := quietOpts(fsys, nil)
			o.SegmentBytes = 2048
			o.IndexInterval = 256
			j := mustOpen(t, dir, o)
			if err := j.CreateTopic("t", 3); err != nil {
				t.Fatal(err)
			}
			if err := j.CreateTopic("t", 3); !errors.Is(err, ErrTopicExists) {
				t.Fatalf("second CreateTopic: %v", err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			var want []Record
			for i := range 300 {
				r := randRecord(rng, i, 40, int64(1000+i))
				off := mustAppend(t, j, "t", 1, r)
				if off.Partition != 1 || off.First != int64(i) || off.Last != int64(i) {
					t.Fatalf("append %d: %+v", i, off)
				}
				want = append(want, r)
			}
			check := func(j *Journal) {
				t.Helper()
				got := readAll(t, j, "t", 1)
				if len(got) != len(want) {
					t.Fatalf("read %d records, want %d", len(got), len(want))
				}
				for i := range got {
					if !sameRecord(got[i].Record, want[i]) || got[i].Partition != 1 {
						t.Fatalf("record %d: %+v, want %+v", i, got[i], want[i])
					}
				}
				for _, off := range []int64{0, 1, 77, 150, 299} {
					ms, err := j.Read(context.Background(), "t", 1, off, ReadOptions{MaxRecords: 2})
					if err != nil || len(ms) == 0 || ms[0].Offset != off || len(ms) > 2 {
						t.Fatalf("read at %d: %v %v", off, len(ms), err)
					}
				}
				if _, err := j.Read(context.Background(), "t", 1, 301, ReadOptions{}); !errors.Is(err, ErrOffsetOutOfRange) {
					t.Fatalf("read past the end: %v", err)
				}
				if ms, err := j.Read(context.Background(), "t", 1, 300, ReadOptions{}); err != nil || len(ms) != 0 {
					t.Fatalf("read at the end: %v %v", ms, err)
				}
				if ts, err := j.OffsetForTime(context.Background(), "t", 1, 1000+123); err != nil || ts != 123 {
					t.Fatalf("OffsetForTime = %d %v, want 123", ts, err)
				}
				if ts, _ := j.OffsetForTime(context.Background(), "t", 1, 5000); ts != 300 {
					t.Fatalf("OffsetForTime after the last = %d", ts)
				}
				if _, end, _ := j.Bounds("t", 0); end != 0 {
					t.Fatalf("partition 0 end %d", end)
				}
				if got := j.Topics(); len(got) != 1 || got[0] != (TopicInfo{"t", 3}) {
					t.Fatalf("Topics = %v", got)
				}
			}
			check(j)
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			if err := j.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
			if _, err := j.Append(context.Background(), "t", 0, Record{}); !errors.Is(err, ErrClosed) {
				t.Fatalf("append after close: %v", err)
			}
			j = mustOpen(t, dir, o) // clean
			check(j)
			mustAppend(t, j, "t", 1, want[0])
			want = append(want[:300:300], want[0])
			_ = want
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPartitionerAndTimestamps(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	clk := newClock()
	o.Now = clk.Now
	j := mustOpen(t, "j", o)
	defer j.Close()
	if err := j.CreateTopic("t", 4); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		key := []byte(fmt.Sprint("key", i))
		want, _ := j.PartitionFor("t", key)
		off := mustAppend(t, j, "t", AnyPartition, Record{Key: key})
		if off.Partition != want {
			t.Fatalf("key %s went to %d, PartitionFor says %d", key, off.Partition, want)
		}
	}
	seen := map[int]bool{}
	for range 4 {
		seen[mustAppend(t, j, "t", AnyPartition, Record{Value: []byte("x")}).Partition] = true
	}
	if len(seen) != 4 {
		t.Fatalf("keyless records went round robin to %v", seen)
	}
	off := mustAppend(t, j, "t", 0, Record{Value: []byte("now")})
	ms, err := j.Read(context.Background(), "t", 0, off.First, ReadOptions{})
	if err != nil || ms[0].Timestamp != clk.Now().UnixMilli() {
		t.Fatalf("timestamp %v %v, want the clock's", ms, err)
	}
	if _, err := j.Append(context.Background(), "t", 4, Record{}); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("partition 4: %v", err)
	}
	if _, err := j.Append(context.Background(), "nope", 0, Record{}); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("unknown topic: %v", err)
	}
	if err := j.CreateTopic("../x", 1); err == nil {
		t.Fatal("a topic name with a path was accepted")
	}
}

func TestGroupCommitConcurrentProducers(t *testing.T) {
	for _, d := range []Durability{Durable, Relaxed} {
		t.Run(fmt.Sprint(d), func(t *testing.T) {
			o := quietOpts(vfs.OS{}, nil)
			o.Durability = d
			o.SegmentBytes = 64 << 10
			j := mustOpen(t, t.TempDir(), o)
			defer j.Close()
			if err := j.CreateTopic("t", 1); err != nil {
				t.Fatal(err)
			}
			const producers, each = 8, 200
			var mu sync.Mutex
			seen := map[int64]string{}
			var wg sync.WaitGroup
			for p := range producers {
				wg.Go(func() {
					for i := range each {
						v := fmt.Sprintf("p%d-%d", p, i)
						off, err := j.Append(context.Background(), "t", 0, Record{Value: []byte(v)})
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						seen[off.First] = v
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			got := readAll(t, j, "t", 0)
			if len(got) != producers*each || len(seen) != producers*each {
				t.Fatalf("%d records, %d acks", len(got), len(seen))
			}
			for _, m := range got {
				if seen[m.Offset] != string(m.Value) {
					t.Fatalf("offset %d holds %q, acked for %q", m.Offset, m.Value, seen[m.Offset])
				}
			}
		})
	}
}

func TestPollWaitsForData(t *testing.T) {
	j := mustOpen(t, "j", quietOpts(vfs.NewCrashFS(1), nil))
	defer j.Close()
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	got := make(chan []Message, 1)
	go func() {
		ms, err := j.Poll(context.Background(), "t", 0, 0, ReadOptions{})
		if err != nil {
			t.Error(err)
		}
		got <- ms
	}()
	time.Sleep(10 * time.Millisecond)
	mustAppend(t, j, "t", 0, Record{Value: []byte("a")})
	select {
	case ms := <-got:
		if len(ms) != 1 || string(ms[0].Value) != "a" {
			t.Fatalf("poll returned %v", ms)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("poll did not wake up")
	}
	if _, err := j.Poll(context.Background(), "t", 0, 2, ReadOptions{}); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("poll beyond the end: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := j.Poll(ctx, "t", 0, 1, ReadOptions{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("poll with a deadline: %v", err)
	}
}

func TestRetention(t *testing.T) {
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	clk := newClock()
	o.Now = clk.Now
	o.SegmentBytes = 1024
	o.RetentionBytes = 4096
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	val := make([]byte, 100)
	for range 100 {
		mustAppend(t, j, "t", 0, Record{Value: val})
	}
	if err := j.EnforceRetention(context.Background()); err != nil {
		t.Fatal(err)
	}
	start, end, _ := j.Bounds("t", 0)
	if start == 0 || end != 100 || end-start < 30 {
		t.Fatalf("after size retention: [%d, %d)", start, end)
	}
	if _, err := j.Read(context.Background(), "t", 0, start-1, ReadOptions{}); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read below the start: %v", err)
	}
	if got := readAll(t, j, "t", 0); int64(len(got)) != end-start {
		t.Fatalf("read %d records", len(got))
	}
	_ = j.Close()
	// Time: everything but the active segment goes.
	o.RetentionBytes = 0
	o.RetentionTime = time.Hour
	j = mustOpen(t, "j", o)
	defer j.Close()
	if s2, _, _ := j.Bounds("t", 0); s2 != start {
		t.Fatalf("start moved from %d to %d on reopen", start, s2)
	}
	clk.Add(2 * time.Hour)
	mustAppend(t, j, "t", 0, Record{Value: val})
	if err := j.EnforceRetention(context.Background()); err != nil {
		t.Fatal(err)
	}
	s3, end, _ := j.Bounds("t", 0)
	if s3 <= start || end-s3 > 10 {
		t.Fatalf("after time retention: [%d, %d)", s3, end)
	}
}

func TestGroupOffsets(t *testing.T) {
	c := vfs.NewCrashFS(1)
	j := mustOpen(t, "j", quietOpts(c, nil))
	tp := TopicPartition{"t", 2}
	if m, err := j.GroupOffsets("g"); err != nil || len(m) != 0 {
		t.Fatalf("new group: %v %v", m, err)
	}
	if err := j.CommitOffsets("g", map[TopicPartition]int64{tp: 5, {"u", 0}: 1}); err != nil {
		t.Fatal(err)
	}
	if err := j.CommitOffsets("g", map[TopicPartition]int64{tp: 7}); err != nil {
		t.Fatal(err)
	}
	// Power loss as soon as CommitOffsets returned: nothing of Close
	// reaches the disk, so the commit must have been durable on its own.
	c.HaltAfter(0)
	_ = j.Close()
	c.Crash()
	j = mustOpen(t, "j", quietOpts(c, nil))
	defer j.Close()
	m, err := j.GroupOffsets("g")
	if err != nil || m[tp] != 7 || m[TopicPartition{"u", 0}] != 1 || len(m) != 2 {
		t.Fatalf("after a crash: %v %v", m, err)
	}
	if err := j.CommitOffsets("../g", nil); err == nil {
		t.Fatal("a group name with a path was accepted")
	}
}

// Retention at its boundaries (TestRetention checks only that something
// goes): by time, the sealed segments whose newest record is older than
// RetentionTime go and the first younger one stays, with everything after
// it; by size, the oldest sealed segments go while the rest still holds at
// least RetentionBytes, and no more of them. One batch per segment.
func TestRetentionBoundaries(t *testing.T) {
	val := make([]byte, 600)
	t.Run("time", func(t *testing.T) {
		clk := newClock()
		o := quietOpts(vfs.NewCrashFS(1), nil)
		o.Now = clk.Now
		o.SegmentBytes = 1024
		o.RetentionTime = 150 * time.Minute
		j := mustOpen(t, "j", o)
		defer j.Close()
		if err := j.CreateTopic("t", 1); err != nil {
			t.Fatal(err)
		}
		now := clk.Now()
		// Newest record per segment: 5h, 4h, 3h, 2h, 30min and 0 ago (active).
		for _, age := range []time.Duration{5 * time.Hour, 4 * time.Hour, 3 * time.Hour, 2 * time.Hour, 30 * time.Minute, 0} {
			mustAppend(t, j, "t", 0, Record{Value: val, Timestamp: now.Add(-age).UnixMilli()})
		}
		if st, _ := j.Stats("t", 0); st.Segments != 6 {
			t.Fatalf("%d segments before retention, want 6 (one batch each)", st.Segments)
		}
		if err := j.EnforceRetention(context.Background()); err != nil {
			t.Fatal(err)
		}
		if st, _ := j.Stats("t", 0); st.Start != 3 || st.End != 6 || st.Segments != 3 {
			t.Fatalf("after time retention of 150 min: start %d, end %d, %d segments; want start 3 (the 2h old segment kept), end 6, 3 segments", st.Start, st.End, st.Segments)
		}
		// An hour later the 2h (now 3h) segment goes too, the 30 min one stays.
		clk.Add(time.Hour)
		if err := j.EnforceRetention(context.Background()); err != nil {
			t.Fatal(err)
		}
		if st, _ := j.Stats("t", 0); st.Start != 4 || st.Segments != 2 {
			t.Fatalf("an hour later: start %d, %d segments; want 4 and 2", st.Start, st.Segments)
		}
	})
	t.Run("size", func(t *testing.T) {
		o := quietOpts(vfs.NewCrashFS(1), nil)
		o.SegmentBytes = 1024
		j := mustOpen(t, "j", o)
		if err := j.CreateTopic("t", 1); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			mustAppend(t, j, "t", 0, Record{Value: val, Timestamp: 1})
		}
		st, _ := j.Stats("t", 0)
		if st.Segments != 10 || st.Bytes%10 != 0 {
			t.Fatalf("%d segments of %d bytes before retention, want 10 of equal size", st.Segments, st.Bytes)
		}
		seg := st.Bytes / 10
		_ = j.Close()
		// 3.5 segments: the rest must keep at least that, so 4 segments stay.
		o.RetentionBytes = 3*seg + seg/2
		j = mustOpen(t, "j", o)
		defer j.Close()
		if err := j.EnforceRetention(context.Background()); err != nil {
			t.Fatal(err)
		}
		if st, _ := j.Stats("t", 0); st.Start != 6 || st.End != 10 || st.Segments != 4 || st.Bytes != 4*seg {
			t.Fatalf("after size retention of %d bytes (segments of %d): start %d, end %d, %d segments, %d bytes; want start 6, end 10, 4 segments",
				o.RetentionBytes, seg, st.Start, st.End, st.Segments, st.Bytes)
		}
	})
}
