package stream_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/vfs"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

// spiRec is a record of spiSource: split ID and sequence number.
type spiRec struct {
	Split string
	Seq   int64
}

func (r spiRec) String() string { return fmt.Sprintf("%s:%d", r.Split, r.Seq) }

// spiSource is a fake source exercising the optional SPI capabilities: its
// splits "p0", "p1", ... hold PerSplit records each; Bounded or not (an
// unbounded split stays open after its last record). With BadEvery > 0
// every record with seq%BadEvery == BadEvery-1 is a dead letter instead.
// With Every > 0 it discovers one more split per Discover call, up to Max
// (Splits lists Initial splits, or all discovered so far with EnumerateAll).
// Notices, when set, logs the readers' checkpoint-complete notices.
type spiSource struct {
	Initial, Max int32
	count        *atomic.Int32
	EnumerateAll bool
	Every        time.Duration
	PerSplit     int64
	IsBounded    bool
	BadEvery     int64
	Notices      *noticeLog
	DiscoverErr  error
	// Progress, when set, is raised by a checkpoint-complete notice that
	// holds progress of a discovered split; until then the last split
	// pauses HoldAt records before its end.
	Progress *atomic.Bool
	HoldAt   int64
	// StartAt, when set, is where Open without a position starts (a
	// "latest"-like start policy); OpenNew starts at 0.
	StartAt int64
}

// spiNewSource is a spiSource with connector.NewSplitOpener.
type spiNewSource struct{ *spiSource }

func (s spiNewSource) OpenNew(ctx context.Context, sp connector.Split) (connector.Reader[spiRec], error) {
	r, err := s.spiSource.Open(ctx, sp, nil)
	if err == nil {
		r.(*spiReader).next = 0
	}
	return r, err
}

func newSPISource(initial, maxSplits int32) *spiSource {
	s := &spiSource{Initial: initial, Max: maxSplits, count: new(atomic.Int32)}
	s.count.Store(initial)
	return s
}

func (s *spiSource) list(n int32) []connector.Split {
	out := make([]connector.Split, n)
	for i := range out {
		out[i] = connector.Split{ID: "p" + strconv.Itoa(i)}
	}
	return out
}

func (s *spiSource) Splits(context.Context) ([]connector.Split, error) {
	if s.EnumerateAll {
		return s.list(s.count.Load()), nil
	}
	return s.list(s.Initial), nil
}

func (s *spiSource) Bounded() bool { return s.IsBounded }

func (s *spiSource) Discover(context.Context) ([]connector.Split, error) {
	if s.DiscoverErr != nil {
		return nil, s.DiscoverErr
	}
	for {
		n := s.count.Load()
		if n >= s.Max || s.count.CompareAndSwap(n, n+1) {
			return s.list(s.count.Load()), nil
		}
	}
}

func (s *spiSource) DiscoveryInterval() time.Duration { return s.Every }

func (s *spiSource) Open(_ context.Context, sp connector.Split, pos []byte) (connector.Reader[spiRec], error) {
	r := &spiReader{src: s, split: sp.ID, next: s.StartAt}
	if pos != nil {
		v, n := binary.Uvarint(pos)
		if n <= 0 {
			return nil, errors.New("bad position")
		}
		r.next = int64(v)
	}
	return r, nil
}

type spiReader struct {
	src   *spiSource
	split string
	next  int64
	dead  []connector.DeadLetter
}

func (r *spiReader) Read(_ context.Context, buf []spiRec) (int, error) {
	k := 0
	for k < len(buf) && r.next < r.src.PerSplit {
		if p := r.src.Progress; p != nil && r.split == fmt.Sprint("p", r.src.Max-1) && r.next == r.src.PerSplit-r.src.HoldAt && !p.Load() {
			break
		}
		seq := r.next
		r.next++
		if b := r.src.BadEvery; b > 0 && seq%b == b-1 {
			r.dead = append(r.dead, connector.DeadLetter{Value: []byte(strconv.FormatInt(seq, 10)),
				Timestamp: stream.MinTime, Source: "spi", Split: r.split, Partition: -1, Offset: seq,
				Stage: "deserialize", ErrorClass: "test", Message: "bad record"})
			continue
		}
		buf[k] = spiRec{Split: r.split, Seq: seq}
		k++
	}
	if k == 0 && r.next >= r.src.PerSplit && r.src.IsBounded && len(r.dead) == 0 {
		return 0, io.EOF
	}
	return k, nil
}

func (r *spiReader) TakeDeadLetters(buf []connector.DeadLetter) []connector.DeadLetter {
	buf = append(buf, r.dead...)
	r.dead = r.dead[:0]
	return buf
}

func (r *spiReader) CheckpointComplete(_ context.Context, id int64, pos []byte) error {
	var idx int32
	fmt.Sscanf(r.split, "p%d", &idx)
	if v, _ := binary.Uvarint(pos); r.src.Progress != nil && idx >= r.src.Initial && v > 0 {
		r.src.Progress.Store(true)
	}
	if r.src.Notices != nil {
		r.src.Notices.add(notice{split: r.split, id: id, pos: slices.Clone(pos)})
	}
	return nil
}

func (r *spiReader) Position() []byte { return binary.AppendUvarint(nil, uint64(r.next)) }
func (r *spiReader) Close() error     { return nil }

type notice struct {
	split string
	id    int64
	pos   []byte
}

type noticeLog struct {
	mu sync.Mutex
	l  []notice
}

func (n *noticeLog) add(x notice) {
	n.mu.Lock()
	n.l = append(n.l, x)
	n.mu.Unlock()
}

func (n *noticeLog) all() []notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.l)
}

// failOnce returns a map function that panics once at the failAt-th record
// (0: never) and sleeps now and then so that checkpoints happen mid-stream.
func failOnce[T any](failAt int64, failed *atomic.Bool) func(T) T {
	var seen atomic.Int64
	return func(v T) T {
		n := seen.Add(1)
		if n%50 == 0 {
			time.Sleep(time.Millisecond)
		}
		if failAt > 0 && n == failAt && failed.CompareAndSwap(false, true) {
			panic("injected failure")
		}
		return v
	}
}

// checkOnce fails unless got holds every string of want exactly once.
func checkOnce(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Clone(got), slices.Clone(want)
	slices.Sort(got)
	slices.Sort(want)
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("%s: %q twice", what, got[i])
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: %d rows, want %d\n got %.20q\nwant %.20q", what, len(got), len(want), got, want)
	}
}

// TestDeadLetters: the dead letters of a source's readers arrive on
// DeadLetters(src) exactly once, with Operator set to the source's name,
// also when the job fails and restarts from a checkpoint (they are in the
// same checkpoint epoch as the records read with them).
func TestDeadLetters(t *testing.T) {
	const splits, perSplit, bad = 3, 3000, 7
	var wantGood, wantDead []string
	for i := range splits {
		for seq := range int64(perSplit) {
			if seq%bad == bad-1 {
				wantDead = append(wantDead, fmt.Sprintf("p%d:%d spi-src", i, seq))
			} else {
				wantGood = append(wantGood, fmt.Sprintf("p%d:%d", i, seq))
			}
		}
	}
	dlString := func(d connector.DeadLetter) string { return fmt.Sprintf("%s:%s %s", d.Split, d.Value, d.Operator) }
	t.Run("plain", func(t *testing.T) {
		env := stream.NewEnvironment(stream.Options{Parallelism: 2})
		src := newSPISource(splits, splits)
		src.PerSplit, src.IsBounded, src.BadEvery = perSplit, true, bad
		s := stream.FromSource[spiRec](env, src, stream.WatermarkStrategy[spiRec]{}, "spi-src")
		good := stream.Collect(stream.Map(s, spiRec.String))
		dead := stream.Collect(stream.Map(stream.DeadLetters(s), dlString))
		job, err := env.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := job.Wait(); err != nil {
			t.Fatal(err)
		}
		checkOnce(t, "records", good.Values(), wantGood)
		checkOnce(t, "dead letters", dead.Values(), wantDead)
		var counted int64
		for _, v := range job.View() {
			for _, op := range v.Operators {
				if op.Name == "spi-src" {
					for _, m := range op.Subtasks {
						counted += m.DeadLetters
					}
				}
			}
		}
		if counted != int64(len(wantDead)) {
			t.Fatalf("metrics count %d dead letters, want %d", counted, len(wantDead))
		}
	})
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprint("restart/p=", par), func(t *testing.T) {
			env := stream.NewEnvironment(stream.Options{Parallelism: par,
				Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), Interval: 10 * time.Millisecond, Logf: t.Logf},
				Restart:     &stream.RestartStrategy{MaxAttempts: 3}})
			src := newSPISource(splits, splits)
			src.PerSplit, src.IsBounded, src.BadEvery = perSplit, true, bad
			s := stream.FromSource[spiRec](env, src, stream.WatermarkStrategy[spiRec]{}, "spi-src").UID("spi-src")
			var failed atomic.Bool
			goodSink, deadSink := streamtest.NewTxSink[string](), streamtest.NewTxSink[string]()
			stream.SinkTo[string](stream.Map(stream.Map(s, failOnce[spiRec](5000, &failed)), spiRec.String).UID("fmt"), goodSink, "good")
			stream.SinkTo[string](stream.Map(stream.DeadLetters(s), dlString).UID("dl-fmt"), deadSink, "dead")
			if err := env.Execute(context.Background()); err != nil {
				t.Fatal(err)
			}
			if !failed.Load() {
				t.Fatal("the failure was never injected")
			}
			if goodSink.Commits() < 2 {
				t.Fatalf("only %d commits: no checkpoint before the failure", goodSink.Commits())
			}
			checkOnce(t, "records", goodSink.Rows(), wantGood)
			checkOnce(t, "dead letters", deadSink.Rows(), wantDead)
		})
	}
}

// TestDeadLettersNotASource: DeadLetters of a stream that is not a source's
// fails the job at Execute.
func TestDeadLettersNotASource(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{})
	m := stream.Map(stream.FromSlice(env, []int{1}), func(i int) int { return i })
	stream.Discard(stream.DeadLetters(m))
	err := env.Execute(context.Background())
	if err == nil || !strings.Contains(err.Error(), "not a source") {
		t.Fatalf("Execute: %v, want a 'not a source' error", err)
	}
}

// runUntil executes env until cond holds (or 30 s passed), then cancels it.
func runUntil(t *testing.T, env *stream.Environment, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- env.Execute(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		select {
		case err := <-errc:
			t.Fatalf("the job ended early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			<-errc
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil && !errors.Is(err, stream.ErrCanceled) {
		t.Fatal(err)
	}
}

// TestSplitDiscovery: splits that appear while an unbounded job runs are
// opened by exactly one subtask and every record of them is read exactly
// once, also across a failure and a restore from a checkpoint; with the
// restarted job's enumeration listing them (EnumerateAll) and without (then
// discovery opens them again, at their restored positions).
func TestSplitDiscovery(t *testing.T) {
	const initial, maxSplits, perSplit = 2, 7, 1000
	var want []string
	for i := range maxSplits {
		for seq := range int64(perSplit) {
			want = append(want, fmt.Sprintf("p%d:%d", i, seq))
		}
	}
	for _, par := range []int{1, 3} {
		for _, all := range []bool{false, true} {
			for _, fail := range []bool{false, true} {
				t.Run(fmt.Sprintf("p=%d/enumerateAll=%v/fail=%v", par, all, fail), func(t *testing.T) {
					dir := t.TempDir()
					var restoredID atomic.Int64
					logf := func(format string, args ...any) {
						t.Logf(format, args...)
						if strings.HasPrefix(format, "restoring from checkpoint %d") {
							restoredID.Store(args[0].(int64))
						}
					}
					env := stream.NewEnvironment(stream.Options{Parallelism: par,
						Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 10 * time.Millisecond, Retained: 1000, Logf: logf},
						Restart:     &stream.RestartStrategy{MaxAttempts: 3}})
					src := newSPISource(initial, maxSplits)
					src.PerSplit, src.Every, src.EnumerateAll = perSplit, 5*time.Millisecond, all
					if fail {
						// The failure comes only after a checkpoint with progress of
						// a discovered split completed, so the restore must use it.
						src.Progress, src.HoldAt = new(atomic.Bool), 100
					}
					s := stream.FromSource[spiRec](env, src, stream.WatermarkStrategy[spiRec]{}, "spi-src").UID("spi-src")
					var failed atomic.Bool
					slow := failOnce[spiRec](0, nil)
					check := stream.Map(s, func(r spiRec) spiRec {
						// Fail once in the middle of the last split found.
						if fail && r.Split == fmt.Sprint("p", maxSplits-1) && r.Seq == perSplit-100 && failed.CompareAndSwap(false, true) {
							panic("injected failure")
						}
						return slow(r)
					})
					sink := streamtest.NewTxSink[string]()
					stream.SinkTo[string](stream.Map(check, spiRec.String).UID("fmt"), sink, "sink")
					runUntil(t, env, func() bool { return len(sink.Rows()) >= len(want) })
					checkOnce(t, "records", sink.Rows(), want)
					if !fail {
						return
					}
					if !failed.Load() {
						t.Fatal("the failure was never injected")
					}
					id := restoredID.Load()
					if id == 0 {
						t.Fatal("the job did not restore from a checkpoint")
					}
					m, err := checkpoint.NewLocal(vfs.OS{}, dir).Load(context.Background(), id)
					if err != nil {
						t.Fatal(err)
					}
					found := 0
					for sp, pos := range sourcePositions(t, m, "spi-src") {
						if v, _ := binary.Uvarint(pos); sp >= fmt.Sprint("p", initial) && v > 0 {
							found++
						}
					}
					if found == 0 {
						t.Fatalf("restored checkpoint %d holds no discovered split with progress", id)
					}
					t.Logf("restored checkpoint %d: %d discovered splits with progress", id, found)
				})
			}
		}
	}
}

// TestSplitDiscoveryError: a failing Discover fails the job, naming the
// source.
func TestSplitDiscoveryError(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	src := newSPISource(1, 1)
	src.PerSplit, src.Every, src.DiscoverErr = 10, time.Millisecond, errors.New("broker gone")
	stream.Discard(stream.FromSource[spiRec](env, src, stream.WatermarkStrategy[spiRec]{}, "spi-src"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := env.Execute(ctx)
	if err == nil || !strings.Contains(err.Error(), `source "spi-src": discover splits: broker gone`) {
		t.Fatalf("Execute: %v, want the discovery error naming the source", err)
	}
}

// TestSplitDiscoveryManualClock: discovery runs on the job's clock: with a
// manual clock nothing new is opened until the clock passes the interval.
func TestSplitDiscoveryManualClock(t *testing.T) {
	clock := stream.NewManualClock(time.UnixMilli(1_000_000))
	env := stream.NewEnvironment(stream.Options{Parallelism: 2, Clock: clock})
	src := newSPISource(1, 3)
	src.PerSplit, src.Every = 5, time.Minute
	vals := stream.Collect(stream.Map(stream.FromSource[spiRec](env, src, stream.WatermarkStrategy[spiRec]{}, "spi-src"), spiRec.String))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	job, err := env.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantN := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for len(vals.Values()) < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d records, want %d", len(vals.Values()), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	wantN(5)
	time.Sleep(50 * time.Millisecond)
	if got := src.count.Load(); got != 1 {
		t.Fatalf("Discover was called before the clock moved (%d splits)", got)
	}
	// Each subtask discovers at every minute (one more split per call:
	// the second round sees them all); the millisecond steps wake the
	// subtasks' back-off waits on the manual clock.
	clock.Advance(time.Minute)
	time.Sleep(20 * time.Millisecond)
	clock.Advance(time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for len(vals.Values()) < 15 && time.Now().Before(deadline) {
		clock.Advance(time.Millisecond)
		time.Sleep(time.Millisecond)
	}
	wantN(15)
	job.Cancel()
	_ = job.Wait()
	var want []string
	for i := range 3 {
		for seq := range 5 {
			want = append(want, fmt.Sprintf("p%d:%d", i, seq))
		}
	}
	checkOnce(t, "records", vals.Values(), want)
}

// TestCheckpointCompleteNotices: readers that listen for checkpoint-complete
// notices get (id, pos) for completed checkpoints only, with the position
// their split has in that checkpoint, in ascending id order.
func TestCheckpointCompleteNotices(t *testing.T) {
	const splits, perSplit = 3, 3000
	dir := t.TempDir()
	env := stream.NewEnvironment(stream.Options{Parallelism: 2,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 10 * time.Millisecond, Retained: 1000, Logf: t.Logf}})
	src := newSPISource(splits, splits)
	src.PerSplit, src.Notices = perSplit, &noticeLog{}
	s := stream.FromSource[spiRec](env, src, stream.WatermarkStrategy[spiRec]{}, "spi-src").UID("spi-src")
	sink := streamtest.NewTxSink[string]()
	stream.SinkTo[string](stream.Map(stream.Map(s, failOnce[spiRec](0, nil)), spiRec.String).UID("fmt"), sink, "sink")
	runUntil(t, env, func() bool {
		if len(sink.Rows()) < splits*perSplit {
			return false
		}
		// and a notice of a checkpoint taken after the end of the data
		for _, n := range src.Notices.all() {
			if v, _ := binary.Uvarint(n.pos); v == perSplit {
				return true
			}
		}
		return false
	})
	notices := src.Notices.all()
	if len(notices) < splits*2 {
		t.Fatalf("only %d notices", len(notices))
	}
	st := checkpoint.NewLocal(vfs.OS{}, dir)
	positions := map[int64]map[string][]byte{}
	last := map[string]int64{}
	for _, n := range notices {
		if n.id <= last[n.split] {
			t.Fatalf("split %s: notice of checkpoint %d after %d", n.split, n.id, last[n.split])
		}
		last[n.split] = n.id
		pos, ok := positions[n.id]
		if !ok {
			m, err := st.Load(context.Background(), n.id)
			if err != nil {
				t.Fatalf("notice of checkpoint %d, which is not complete: %v", n.id, err)
			}
			pos = sourcePositions(t, m, "spi-src")
			positions[n.id] = pos
		}
		if want, ok := pos[n.split]; !ok || !slices.Equal(want, n.pos) {
			t.Fatalf("split %s, checkpoint %d: notice position %v, the checkpoint holds %v", n.split, n.id, n.pos, want)
		}
	}
}

// sourcePositions decodes the split positions of source uid in m (the
// layout of operator.Source.SnapshotState).
func sourcePositions(t *testing.T, m *checkpoint.Metadata, uid string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, op := range m.Operators {
		if op.UID != uid {
			continue
		}
		for _, b := range op.Subtasks {
			if b == nil {
				continue
			}
			if b[0] != 1 {
				t.Fatalf("source snapshot version %d", b[0])
			}
			b = b[1:]
			uv := func() uint64 {
				v, k := binary.Uvarint(b)
				b = b[k:]
				return v
			}
			for n := uv(); n > 0; n-- {
				l := uv()
				id := string(b[:l])
				b = b[l:]
				l = uv()
				out[id] = slices.Clone(b[:l])
				b = b[l:]
				_, k := binary.Varint(b)
				b = b[k:]
				_, k = binary.Varint(b)
				b = b[k+1:]
			}
		}
	}
	return out
}

// TestSplitDiscoveryOpensNewSplitsFromTheBeginning: a source whose start
// policy skips ahead (Kafka's latest) gets every split found by discovery
// through OpenNew, from its beginning, so nothing written to it before it
// was found is lost; the initial splits follow the start policy.
func TestSplitDiscoveryOpensNewSplitsFromTheBeginning(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{Parallelism: 2})
	src := newSPISource(1, 3)
	src.PerSplit, src.Every, src.StartAt = 10, 5*time.Millisecond, 5
	vals := stream.Collect(stream.Map(stream.FromSource[spiRec](env, spiNewSource{src}, stream.WatermarkStrategy[spiRec]{}, "spi-src"), spiRec.String))
	runUntil(t, env, func() bool { return len(vals.Values()) >= 25 })
	var want []string
	for i := 5; i < 10; i++ {
		want = append(want, fmt.Sprintf("p0:%d", i))
	}
	for _, p := range []string{"p1", "p2"} {
		for i := range 10 {
			want = append(want, fmt.Sprintf("%s:%d", p, i))
		}
	}
	checkOnce(t, "records", vals.Values(), want)
}
