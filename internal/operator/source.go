package operator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/internal/base"
)

// WatermarkStrategy says where event time comes from and how watermarks are
// generated, per split, from the data alone.
type WatermarkStrategy[T any] struct {
	// Timestamp extracts the event time of a record (epoch ms). When nil, a
	// reader's own timestamps are used if it has them, else records have none.
	Timestamp func(T) int64
	// OutOfOrderness is the bounded out-of-orderness: the watermark of a
	// split is max(timestamp seen) - OutOfOrderness - 1ms, as in Flink.
	OutOfOrderness time.Duration
	// Idleness marks a split idle after this much processing time without
	// records, so it does not hold back the watermark. 0 disables it.
	Idleness time.Duration
	// Enabled turns watermark generation on. Without it the watermark stays
	// at base.MinTime until a bounded input ends.
	Enabled bool
	// ReaderTime, with Timestamp, takes a Timestamped reader's own
	// timestamps instead of calling Timestamp (whose values the source
	// promises they are: the SQL planner's connector.ReaderTimeTableSource),
	// and Timestamp only for the records of other readers (a wrapped one).
	ReaderTime bool
}

// SourcePoll is the result of one SourceDriver.Poll.
type SourcePoll struct {
	// N records were emitted into the chain.
	N int
	// Watermark is the new combined watermark when WatermarkAdvanced.
	Watermark         int64
	WatermarkAdvanced bool
	// IdleChanged reports a change of Idle (all splits idle).
	IdleChanged, Idle bool
	// Done is set once every split ended (bounded sources only).
	Done bool
}

// SourceDriver is the untyped side of a source operator that the task polls.
type SourceDriver interface {
	Operator
	Poll(ctx context.Context) (SourcePoll, error)
	// Ready is signalled when a waiting reader may have data (nil: poll).
	Ready() <-chan struct{}
}

type splitReader[T any] struct {
	split connector.Split
	r     connector.Reader[T]
	tsr   connector.Timestamped[T]
	dlr   connector.DeadLetterReader   // nil: the reader has no dead letters
	cl    connector.CheckpointListener // nil: no checkpoint-complete notices
	br    connector.BytesReader        // nil: the reader does not count bytes
	bytes int64                        // br's count at the last CountBytes
	lr    connector.LagReader          // nil: the reader does not report its lag
	// reuseAsked: the reader was told it may reuse record memory
	// (connector.RecordReuser), or it was found it may not.
	reuseAsked bool
	done       bool
	idle       bool
	maxTS      int64
	wm         int64
	// emptySince is when the reader began to return nothing (base.MinTime
	// while it returns data): a split is idle only once it was asked and
	// had nothing for Idleness, never because it was not polled (a stall
	// on a full output channel is not idleness, cf. FLINK-35886).
	emptySince int64
}

// Source reads the splits assigned to one subtask.
type Source[T any] struct {
	Base
	Src       connector.Source[T]
	Splits    []connector.Split
	Positions map[string][]byte // split id -> start position (restore)
	WM        WatermarkStrategy[T]
	Out       Collector[T]
	BatchSize int

	readers []*splitReader[T]
	out     batchOut[T]
	next    int
	buf     []T
	ts      []int64
	wm      int64
	idle    bool
	// release is 1 when Out is done with every record by the time it
	// returns (Releaser), -1 when not, 0 until first asked (after every
	// operator of the chain opened).
	release int8

	// Dead letters (connector.DeadLetterReader): dlOut is the side output
	// DeadLetterTag (nil when nothing consumes it: they are only counted).
	dlOut Collector[connector.DeadLetter]
	dlBuf []connector.DeadLetter

	// Split discovery (connector.Discoverer of an unbounded source).
	disc      connector.Discoverer
	discEvery int64           // ms
	nextDisc  int64           // processing time of the next Discover
	known     map[string]bool // splits of the initial enumeration and opened ones
	restored  map[string]splitState

	// pendingPos are the positions of the listening readers' splits
	// (connector.CheckpointListener) per checkpoint taken and not yet
	// known complete, oldest first.
	pendingPos []checkpointPositions
}

// DeadLetterTag is the side output of a source that carries the dead
// letters of its readers (stream.DeadLetters).
const DeadLetterTag = "dead-letters"

// maxPendingPositions bounds pendingPos: checkpoints that never complete
// (failed, timed out) must not pile up.
const maxPendingPositions = 64

type checkpointPositions struct {
	id  int64
	pos map[string][]byte
}

// DiscoveredSplitOwner is the subtask (of parallelism) that opens a split
// found by split discovery, not in the job's initial enumeration: a stable
// hash of its ID, so that exactly one subtask opens it.
func DiscoveredSplitOwner(id string, parallelism int) int {
	if parallelism <= 1 {
		return 0
	}
	return int(base.HashKey([]byte(id)) % uint64(parallelism))
}

func (s *Source[T]) Open(rt *Runtime) error {
	if err := s.Base.Open(rt); err != nil {
		return err
	}
	if s.BatchSize <= 0 {
		s.BatchSize = DefaultBatchSize
	}
	s.out = newBatchOut(s.Out)
	s.buf = make([]T, s.BatchSize)
	s.ts = make([]int64, s.BatchSize)
	s.wm = base.MinTime
	var restored map[string]splitState
	if rt.Restored != nil {
		var err error
		if restored, err = restoredSplits(rt.Name, rt.Restored.Subtasks); err != nil {
			return err
		}
	}
	s.known = map[string]bool{}
	for id := range rt.KnownSplits {
		s.known[id] = true
	}
	for _, sp := range s.Splits {
		pos, explicit := s.Positions[sp.ID]
		ss, ok := restored[sp.ID]
		if ok {
			pos = ss.pos
		}
		// A split the restored checkpoint does not know appeared since.
		isNew := rt.Restored != nil && !ok && !explicit
		if err := s.openSplit(sp, pos, ss, ok, isNew); err != nil {
			s.closeReaders()
			return err
		}
	}
	if d, ok := s.Src.(connector.Discoverer); ok && !s.Src.Bounded() && d.DiscoveryInterval() > 0 {
		s.disc = d
		s.discEvery = max(d.DiscoveryInterval().Milliseconds(), 1)
		s.nextDisc = rt.Clock.NowMillis() + s.discEvery
		s.restored = restored
	}
	if out, ok := rt.Sides[DeadLetterTag]; ok {
		col, ok := out.(Collector[connector.DeadLetter])
		if !ok {
			s.closeReaders()
			return fmt.Errorf("source %q: side output %q carries %T, not connector.DeadLetter", rt.Name, DeadLetterTag, out)
		}
		s.dlOut = col
	}
	return nil
}

// closeReaders closes the readers opened so far (Open failed half-way: the
// task does not call Close on an operator whose Open failed).
func (s *Source[T]) closeReaders() {
	_ = s.Close()
	s.readers = nil
}

// openSplit opens a reader of sp at pos; ss is the split's restored state
// when restored is set. isNew marks a split that appeared after the job
// first started: without a position it is opened from its very beginning
// (connector.NewSplitOpener).
func (s *Source[T]) openSplit(sp connector.Split, pos []byte, ss splitState, restored, isNew bool) error {
	rt := s.RT
	var r connector.Reader[T]
	var err error
	if no, ok := s.Src.(connector.NewSplitOpener[T]); ok && isNew && pos == nil {
		r, err = no.OpenNew(rt.Ctx, sp)
	} else {
		r, err = s.Src.Open(rt.Ctx, sp, pos)
	}
	if err != nil {
		return base.Wrapf(err, "source %q: open split %q", rt.Name, sp.ID)
	}
	sr := &splitReader[T]{split: sp, r: r, maxTS: base.MinTime, wm: base.MinTime, emptySince: base.MinTime}
	if restored { // else a fresh split, or one the checkpoint does not know (new since)
		sr.maxTS, sr.wm = ss.maxTS, ss.wm
	}
	if s.WM.Timestamp == nil || s.WM.ReaderTime {
		sr.tsr, _ = r.(connector.Timestamped[T])
	}
	sr.dlr, _ = r.(connector.DeadLetterReader)
	sr.cl, _ = r.(connector.CheckpointListener)
	sr.br, _ = r.(connector.BytesReader)
	sr.lr, _ = r.(connector.LagReader)
	s.readers = append(s.readers, sr)
	s.known[sp.ID] = true
	return nil
}

// NextProcessingTime is when split discovery runs next (MaxTime: never).
func (s *Source[T]) NextProcessingTime() int64 {
	if s.disc == nil {
		return base.MaxTime
	}
	return s.nextDisc
}

// OnProcessingTime runs split discovery when it is due: it opens every
// split that is neither in the job's initial enumeration nor open already
// and that this subtask owns (DiscoveredSplitOwner), from its beginning, or
// from the restored checkpoint's position when that has one.
func (s *Source[T]) OnProcessingTime(now int64) {
	if s.disc == nil || now < s.nextDisc {
		return
	}
	s.nextDisc = now + s.discEvery
	s.Enter()
	splits, err := s.disc.Discover(s.RT.Ctx)
	if err != nil {
		if s.RT.Ctx.Err() != nil {
			return // the job is stopping: not a failure of discovery
		}
		s.Fail(base.Wrapf(err, "source %q: discover splits", s.RT.Name))
		return
	}
	for _, sp := range splits {
		if s.known[sp.ID] {
			continue
		}
		if DiscoveredSplitOwner(sp.ID, s.RT.Parallelism) != s.RT.Subtask {
			s.known[sp.ID] = true // another subtask's
			continue
		}
		ss, ok := s.restored[sp.ID]
		if err := s.openSplit(sp, ss.pos, ss, ok, true); err != nil {
			s.Fail(fmt.Errorf("%w (a split found by discovery)", err))
		}
	}
}

// Ready returns the notifier of the only reader, if it has one. It is asked
// before every wait, so a reader added by discovery turns it off (the task
// then polls with back-off).
func (s *Source[T]) Ready() <-chan struct{} {
	if len(s.readers) == 1 {
		if n, ok := s.readers[0].r.(connector.Notifier); ok {
			return n.Ready()
		}
	}
	return nil
}

// Poll reads one batch from the next split that has data.
func (s *Source[T]) Poll(ctx context.Context) (SourcePoll, error) {
	var res SourcePoll
	live := 0
	for range s.readers {
		sr := s.readers[s.next]
		s.next++
		if s.next >= len(s.readers) {
			s.next = 0
		}
		if sr.done {
			continue
		}
		live++
		n, err := s.read(ctx, sr)
		if errors.Is(err, io.EOF) {
			sr.done = true
			_ = sr.r.Close()
			live--
			err = nil
		}
		if err != nil {
			return res, base.Wrapf(err, "source %q: split %q", s.RT.Name, sr.split.ID)
		}
		if n > 0 {
			res.N = n
			break
		}
	}
	if live == 0 && s.Src.Bounded() {
		res.Done = true
		return res, nil
	}
	s.updateWatermark(&res)
	return res, nil
}

func (s *Source[T]) read(ctx context.Context, sr *splitReader[T]) (n int, err error) {
	s.Enter()
	if !sr.reuseAsked {
		s.askReuse(sr)
	}
	if sr.tsr != nil {
		n, err = sr.tsr.ReadTimestamped(ctx, s.buf, s.ts)
	} else {
		n, err = sr.r.Read(ctx, s.buf)
	}
	if sr.dlr != nil {
		s.deadLetters(sr)
	}
	if n == 0 {
		if s.WM.Idleness > 0 && !sr.idle {
			now := s.RT.Clock.NowMillis()
			if sr.emptySince == base.MinTime {
				sr.emptySince = now
			} else if now-sr.emptySince >= s.WM.Idleness.Milliseconds() {
				sr.idle = true
			}
		}
		return n, err
	}
	if sr.tsr != nil {
		// the reader's timestamps (Timestamp nil, or ReaderTime)
	} else if s.WM.Timestamp != nil {
		for i := range n {
			s.ts[i] = s.WM.Timestamp(s.buf[i])
		}
	} else {
		for i := range n {
			s.ts[i] = base.MinTime
		}
	}
	mx := sr.maxTS
	for _, t := range s.ts[:n] {
		mx = max(mx, t)
	}
	s.M.In += int64(n)
	s.out.emit(s.ts[:n], s.buf[:n])
	clear(s.buf[:n])
	sr.maxTS = mx
	if s.WM.Enabled && mx != base.MinTime {
		if w := mx - s.WM.OutOfOrderness.Milliseconds() - 1; w > sr.wm {
			sr.wm = w
		}
	}
	sr.emptySince = base.MinTime
	sr.idle = false
	return n, err
}

// askReuse lets sr's reader reuse the memory of its records from one Read
// to the next when it can (connector.RecordReuser) and the output is done
// with every record when emit returns (Releaser): read emits a batch and
// clears s.buf before it reads again, and dead letters are a reader's own.
func (s *Source[T]) askReuse(sr *splitReader[T]) {
	sr.reuseAsked = true
	if s.release == 0 {
		s.release = -1
		if Releases(s.Out) {
			s.release = 1
		}
	}
	if ru, ok := sr.r.(connector.RecordReuser); ok && s.release > 0 {
		ru.ReuseRecords()
	}
}

// deadLetters emits the reader's pending dead letters on DeadLetterTag,
// right after the Read that collected them: before any later barrier, so
// they belong to the same checkpoint as the records read with them.
func (s *Source[T]) deadLetters(sr *splitReader[T]) {
	buf := sr.dlr.TakeDeadLetters(s.dlBuf[:0])
	s.Enter()
	s.M.DeadLetters += int64(len(buf))
	for i := range buf {
		buf[i].Operator = s.RT.Name
		if s.dlOut != nil {
			s.dlOut.Collect(buf[i].Timestamp, buf[i])
			s.Enter()
		}
	}
	clear(buf)
	s.dlBuf = buf[:0]
}

func (s *Source[T]) updateWatermark(res *SourcePoll) {
	if !s.WM.Enabled {
		return
	}
	wm, maxIdle := base.MaxTime, base.MinTime
	active := 0
	for _, sr := range s.readers {
		if sr.done {
			continue
		}
		if sr.idle {
			maxIdle = max(maxIdle, sr.wm)
			continue
		}
		active++
		if sr.wm < wm {
			wm = sr.wm
		}
	}
	idle := active == 0 && (len(s.readers) == 0 || s.WM.Idleness > 0)
	if active == 0 && idle {
		// Every split is idle: event time moves to the highest split
		// watermark (what Flink's input valve does when all channels idle).
		wm = maxIdle
	}
	if (active > 0 || idle) && wm > s.wm && wm != base.MaxTime {
		s.wm = wm
		res.Watermark, res.WatermarkAdvanced = wm, true
	}
	if idle != s.idle {
		s.idle = idle
		res.IdleChanged, res.Idle = true, idle
	}
}

func (s *Source[T]) Close() error {
	var errs []error
	for _, sr := range s.readers {
		errs = append(errs, sr.r.Close())
	}
	return errors.Join(errs...)
}

// Positions returns the current position of every split (for checkpoints).
func (s *Source[T]) SplitPositions() map[string][]byte {
	m := make(map[string][]byte, len(s.readers))
	for _, sr := range s.readers {
		m[sr.split.ID] = sr.r.Position()
	}
	return m
}

// CountBytes adds what the readers read since the last call to
// M.BytesRead (operator.BytesCounter). Readers stay in s.readers after
// their split ended, so none of their bytes is lost.
func (s *Source[T]) CountBytes() {
	for _, sr := range s.readers {
		if sr.br == nil {
			continue
		}
		b := sr.br.BytesRead()
		s.M.BytesRead += b - sr.bytes
		sr.bytes = b
		s.M.ReadCounted = true
	}
}

// ReportLags sets M.Lags to the lag of every reader that reports one
// (operator.LagReporter), ended splits included (a bounded split at its
// end reports 0). M.Lags stays nil when no reader reports.
func (s *Source[T]) ReportLags() {
	if s.M == nil {
		return // never opened (an operator after it in the chain failed to open first)
	}
	lags := s.M.Lags[:0]
	for _, sr := range s.readers {
		if sr.lr == nil {
			continue
		}
		if l, ok := sr.lr.SplitLag(); ok {
			lags = append(lags, l)
		}
	}
	if len(lags) == 0 && s.M.Lags == nil {
		return
	}
	s.M.Lags = lags
}

// Sink writes records through a connector writer.
type Sink[T any] struct {
	Base
	Sink connector.Sink[T]
	w    connector.Writer[T]
	bw   connector.BytesWriter // nil: the writer does not count bytes
}

func (o *Sink[T]) Open(rt *Runtime) error {
	if err := o.Base.Open(rt); err != nil {
		return err
	}
	w, err := o.Sink.Open(rt.Ctx, connector.SinkInfo{Subtask: rt.Subtask, Parallelism: rt.Parallelism, Operator: rt.Name, UID: rt.UID})
	if err != nil {
		return base.Wrapf(err, "sink %q: open", rt.Name)
	}
	o.w = w
	o.bw, _ = w.(connector.BytesWriter)
	return nil
}

// CountBytes sets M.BytesWritten from the writer (operator.BytesCounter).
func (o *Sink[T]) CountBytes() {
	if o.bw != nil {
		o.M.BytesWritten = o.bw.BytesWritten()
		o.M.WrittenCounted = true
	}
}

func (o *Sink[T]) Collect(ts int64, v T) {
	o.Enter()
	o.M.In++
	if err := o.w.Write(v, ts); err != nil {
		o.Fail(err)
	}
}

// OnIdle flushes the writer when the subtask has nothing else to do, so
// results show up promptly on slow streams.
func (o *Sink[T]) OnIdle() {
	o.Enter()
	if err := o.w.Flush(o.RT.Ctx); err != nil {
		o.Fail(err)
	}
}

func (o *Sink[T]) Finish() error {
	o.Enter()
	return o.w.Flush(o.RT.Ctx)
}

func (o *Sink[T]) Close() error {
	o.Enter()
	if o.w == nil {
		return nil
	}
	return o.w.Close()
}

// IdleFlusher is implemented by operators that flush buffers when the
// subtask is about to wait for input.
type IdleFlusher interface {
	OnIdle()
}
