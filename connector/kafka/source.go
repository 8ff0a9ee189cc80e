package kafka

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// StartKind says where a split without a checkpointed position starts.
type StartKind int

const (
	// StartEarliest reads from the first offset still in the log.
	StartEarliest StartKind = iota
	// StartLatest reads only records produced after the split opened.
	StartLatest
	// StartTimestamp reads from the first record at or after Start.Millis.
	StartTimestamp
	// StartCommitted reads from the consumer group's committed offset, or
	// from Start.Fallback where the group has none.
	StartCommitted
	// StartOffsets reads from explicit offsets (Start.Offsets), or from
	// Start.Fallback for a partition not listed.
	StartOffsets
)

// Start is where the source begins reading a partition the checkpoint does
// not know (a fresh job, or a partition discovered later: those always start
// from the earliest offset, as in Flink, so no record of a new partition is
// missed).
type Start struct {
	Kind StartKind
	// Millis is the timestamp of StartTimestamp (epoch ms).
	Millis int64
	// Offsets of StartOffsets: topic -> partition -> offset.
	Offsets map[string]map[int32]int64
	// Fallback of StartCommitted and StartOffsets: StartEarliest (default)
	// or StartLatest.
	Fallback StartKind
}

// ParseStart reads the CLI/SQL form: "earliest", "latest", "committed",
// "timestamp:MILLIS" or "offsets:topic/partition=offset,...".
func ParseStart(s string) (Start, error) {
	switch {
	case s == "" || s == "earliest":
		return Start{Kind: StartEarliest}, nil
	case s == "latest":
		return Start{Kind: StartLatest}, nil
	case s == "committed":
		return Start{Kind: StartCommitted}, nil
	case strings.HasPrefix(s, "timestamp:"):
		ms, err := strconv.ParseInt(strings.TrimPrefix(s, "timestamp:"), 10, 64)
		if err != nil {
			return Start{}, fmt.Errorf("kafka: start %q: timestamp must be epoch milliseconds", s)
		}
		return Start{Kind: StartTimestamp, Millis: ms}, nil
	case strings.HasPrefix(s, "offsets:"):
		st := Start{Kind: StartOffsets, Offsets: map[string]map[int32]int64{}}
		for _, kv := range strings.Split(strings.TrimPrefix(s, "offsets:"), ",") {
			tp, off, ok := strings.Cut(kv, "=")
			i := strings.LastIndexByte(tp, '/')
			if !ok || i <= 0 {
				return Start{}, fmt.Errorf("kafka: start %q: want offsets:topic/partition=offset,...", s)
			}
			p, err1 := strconv.ParseInt(tp[i+1:], 10, 32)
			o, err2 := strconv.ParseInt(off, 10, 64)
			if err1 != nil || err2 != nil || p < 0 || o < 0 {
				return Start{}, fmt.Errorf("kafka: start %q: bad entry %q (want topic/partition=offset)", s, kv)
			}
			if st.Offsets[tp[:i]] == nil {
				st.Offsets[tp[:i]] = map[int32]int64{}
			}
			st.Offsets[tp[:i]][int32(p)] = o
		}
		return st, nil
	}
	return Start{}, fmt.Errorf("kafka: start %q: want earliest, latest, committed, timestamp:MILLIS or offsets:topic/partition=offset,...", s)
}

// MinBadForRatio is how many bad records a partition must have given before
// SourceOptions.MaxBadRatio is checked.
const MinBadForRatio = 10

// DefaultDiscoveryInterval is how often a source looks for new partitions
// unless told otherwise.
const DefaultDiscoveryInterval = 30 * time.Second

// SourceOptions configure a Source.
type SourceOptions[T any] struct {
	Cluster
	// Topics to read, by name; or TopicPattern, a regular expression that
	// must match a whole topic name (discovery also finds new topics).
	Topics       []string
	TopicPattern string
	// Deserializer turns records into values (required).
	Deserializer Deserializer[T]
	// Start applies to partitions the checkpoint does not know.
	Start Start
	// Group is the consumer group of StartCommitted and CommitOffsets. The
	// source never joins it: partitions are assigned by strom.
	Group string
	// CommitOffsets commits each completed checkpoint's offsets to Group,
	// for lag monitoring only; strom restores from its checkpoints.
	CommitOffsets bool
	// ReadUncommitted also reads records of open and aborted transactions.
	// The default is read_committed.
	ReadUncommitted bool
	// OnError is the policy for records the Deserializer rejects.
	OnError connector.OnError
	// MaxBadRatio guards Skip and DeadLetterQueue: once a partition has
	// given more than MinBadForRatio bad records and they are more than
	// this fraction of its records, the job fails (input that is mostly
	// bad is a misconfiguration, not bad luck). 0 turns the guard off.
	MaxBadRatio float64
	// Bounded stops every partition at the end offset it had when the
	// split opened (its last stable offset under read_committed).
	Bounded bool
	// DiscoveryInterval is how often to look for new partitions and
	// topics: 0 means DefaultDiscoveryInterval, a negative value never.
	DiscoveryInterval time.Duration
	// ClientID names the consumer clients (default "strom").
	ClientID string
}

// Source reads Kafka partitions, one split each. Its position per split is
// the next offset to read; restoring a checkpoint seeks there exactly.
type Source[T any] struct {
	o       SourceOptions[T]
	pattern *regexp.Regexp

	skipped atomic.Int64
}

// NewSource checks the options and returns the source.
func NewSource[T any](o SourceOptions[T]) (*Source[T], error) {
	if _, err := o.opts(); err != nil {
		return nil, err
	}
	if o.Deserializer == nil {
		return nil, errors.New("kafka source: no Deserializer (use one of package format, e.g. kafka.Values(format.JSON[T]()))")
	}
	if (len(o.Topics) == 0) == (o.TopicPattern == "") {
		return nil, errors.New("kafka source: give either Topics or TopicPattern")
	}
	s := &Source[T]{o: o}
	if o.TopicPattern != "" {
		re, err := regexp.Compile("^(?:" + o.TopicPattern + ")$")
		if err != nil {
			return nil, fmt.Errorf("kafka source: topic pattern %q: %w", o.TopicPattern, err)
		}
		s.pattern = re
	}
	if (o.Start.Kind == StartCommitted || o.CommitOffsets) && o.Group == "" {
		return nil, errors.New("kafka source: start from committed offsets and CommitOffsets need a Group")
	}
	if o.MaxBadRatio < 0 || o.MaxBadRatio > 1 {
		return nil, fmt.Errorf("kafka source: MaxBadRatio %v: want 0 (off) to 1", o.MaxBadRatio)
	}
	if o.OnError < connector.Fail || o.OnError > connector.DeadLetterQueue {
		return nil, fmt.Errorf("kafka source: unknown OnError %d", o.OnError)
	}
	if s.o.ClientID == "" {
		s.o.ClientID = "strom"
	}
	return s, nil
}

// Skipped is how many bad records OnError=Skip dropped so far.
func (s *Source[T]) Skipped() int64 { return s.skipped.Load() }

// Bounded reports whether the source ends (SourceOptions.Bounded).
func (s *Source[T]) Bounded() bool { return s.o.Bounded }

// DiscoveryInterval implements connector.Discoverer.
func (s *Source[T]) DiscoveryInterval() time.Duration {
	switch {
	case s.o.Bounded || s.o.DiscoveryInterval < 0:
		return 0
	case s.o.DiscoveryInterval == 0:
		return DefaultDiscoveryInterval
	}
	return s.o.DiscoveryInterval
}

// Splits lists one split per partition of the topics.
func (s *Source[T]) Splits(ctx context.Context) ([]connector.Split, error) {
	return s.Discover(ctx)
}

// Discover implements connector.Discoverer: the partitions that exist now.
func (s *Source[T]) Discover(ctx context.Context) ([]connector.Split, error) {
	opts, err := s.o.opts(kgo.ClientID(s.o.ClientID))
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka source: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	var td kadm.TopicDetails
	if s.pattern != nil {
		td, err = adm.ListTopics(ctx)
	} else {
		td, err = adm.ListTopics(ctx, s.o.Topics...)
	}
	if err != nil {
		return nil, fmt.Errorf("kafka source: list topics: %w", err)
	}
	var splits []connector.Split
	for _, name := range td.Names() {
		t := td[name]
		if s.pattern != nil && !s.pattern.MatchString(name) {
			continue
		}
		if t.Err != nil {
			return nil, fmt.Errorf("kafka source: topic %q: %w", name, t.Err)
		}
		for _, p := range t.Partitions.Numbers() {
			splits = append(splits, partitionSplit(name, p))
		}
	}
	if s.pattern == nil {
		for _, name := range s.o.Topics {
			if _, ok := td[name]; !ok {
				return nil, fmt.Errorf("kafka source: topic %q does not exist", name)
			}
		}
	}
	slices.SortFunc(splits, func(a, b connector.Split) int {
		ta, pa, _ := parseSplit(a)
		tb, pb, _ := parseSplit(b)
		if c := strings.Compare(ta, tb); c != 0 {
			return c
		}
		return int(pa) - int(pb)
	})
	return splits, nil
}

// partitionSplit is the split of one partition: ID "topic-partition" as in
// Flink (unique: the partition is the digits after the last dash).
func partitionSplit(topic string, p int32) connector.Split {
	return connector.Split{ID: topic + "-" + strconv.Itoa(int(p)), Data: binary.BigEndian.AppendUint32([]byte(topic), uint32(p))}
}

func parseSplit(sp connector.Split) (string, int32, error) {
	if len(sp.Data) < 5 {
		return "", 0, fmt.Errorf("kafka source: split %q: bad split data", sp.ID)
	}
	n := len(sp.Data) - 4
	return string(sp.Data[:n]), int32(binary.BigEndian.Uint32(sp.Data[n:])), nil
}

// Position layout: version byte 1, then the next offset as 8 bytes big endian.
const posVersion = 1

func encodePos(next int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{posVersion}, uint64(next))
}

func decodePos(b []byte) (int64, error) {
	if len(b) != 9 || b[0] != posVersion {
		return 0, fmt.Errorf("kafka source: checkpointed position %x is not a version-%d position (9 bytes)", b, posVersion)
	}
	return int64(binary.BigEndian.Uint64(b[1:])), nil
}

// Open starts a consumer of the split's partition at pos (the next offset)
// or, without pos, where Start says.
func (s *Source[T]) Open(ctx context.Context, sp connector.Split, pos []byte) (connector.Reader[T], error) {
	return s.open(ctx, sp, pos, false)
}

// OpenNew implements connector.NewSplitOpener: a partition that appeared
// after the job first started (discovered, or unknown to the restored
// checkpoint) is read from its earliest offset whatever Start says, as in
// Flink, so nothing written to it before it was found is lost.
func (s *Source[T]) OpenNew(ctx context.Context, sp connector.Split) (connector.Reader[T], error) {
	return s.open(ctx, sp, nil, true)
}

func (s *Source[T]) open(ctx context.Context, sp connector.Split, pos []byte, fromEarliest bool) (connector.Reader[T], error) {
	topic, part, err := parseSplit(sp)
	if err != nil {
		return nil, err
	}
	iso := kgo.ReadCommitted()
	if s.o.ReadUncommitted {
		iso = kgo.ReadUncommitted()
	}
	r := &reader[T]{src: s, split: sp.ID, topic: topic, part: part, end: -1,
		ch: make(chan fetched, 4), ready: make(chan struct{}, 1), done: make(chan struct{})}
	r.known.Store(-1)
	var at kgo.Offset
	if pos != nil {
		if r.next, err = decodePos(pos); err != nil {
			return nil, err
		}
		at = kgo.NewOffset().At(r.next)
	}
	opts, err := s.o.opts(kgo.ClientID(s.o.ClientID), kgo.FetchIsolationLevel(iso), kgo.KeepControlRecords(),
		kgo.ConsumeResetOffset(kgo.NoResetOffset()))
	if err != nil {
		return nil, err
	}
	// A client for the admin calls first (start offsets, end offsets).
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka source: split %s: %w", sp.ID, err)
	}
	fail := func(err error) (connector.Reader[T], error) {
		cl.Close()
		return nil, fmt.Errorf("kafka source: split %s: %w", sp.ID, err)
	}
	adm := kadm.NewClient(cl)
	if pos == nil {
		start := s.o.Start
		if fromEarliest {
			start = Start{Kind: StartEarliest}
		}
		if r.next, err = s.startOffset(ctx, adm, start, topic, part); err != nil {
			return fail(err)
		}
		at = kgo.NewOffset().At(r.next)
	}
	// The end of the partition now: where a bounded split stops, and the
	// first end the live lag knows (connector.LagReader; later ends come
	// with the fetch responses, but franz-go hands over none without
	// records, so a partition with nothing to read would never report).
	// An unbounded split opens without it when the listing fails.
	var lo kadm.ListedOffsets
	if s.o.ReadUncommitted {
		lo, err = adm.ListEndOffsets(ctx, topic)
	} else {
		lo, err = adm.ListCommittedOffsets(ctx, topic)
	}
	if err == nil {
		err = lo.Error()
	}
	o, ok := lo.Lookup(topic, part)
	if err == nil && !ok {
		err = errors.New("partition has no end offset")
	}
	switch {
	case err == nil:
		r.known.Store(o.Offset)
		if s.o.Bounded {
			r.end = o.Offset
		}
	case s.o.Bounded:
		return fail(fmt.Errorf("list end offsets: %w", err))
	}
	cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{topic: {part: at}})
	r.cl = cl
	pctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.poll(pctx)
	return r, nil
}

// startOffset resolves st for one partition to an offset.
func (s *Source[T]) startOffset(ctx context.Context, adm *kadm.Client, st Start, topic string, part int32) (int64, error) {
	kind := st.Kind
	switch kind {
	case StartOffsets:
		if o, ok := st.Offsets[topic][part]; ok {
			return o, nil
		}
		kind = st.Fallback
	case StartCommitted:
		or, err := adm.FetchOffsets(ctx, s.o.Group)
		if err == nil {
			err = or.Error()
		}
		if err != nil {
			return 0, fmt.Errorf("fetch committed offsets of group %q: %w", s.o.Group, err)
		}
		if o, ok := or.Lookup(topic, part); ok && o.At >= 0 {
			return o.At, nil
		}
		kind = st.Fallback
	}
	var lo kadm.ListedOffsets
	var err error
	switch kind {
	case StartLatest:
		// Under read_committed "latest" is the last stable offset, as the
		// Java client lists it: a transaction open now commits later, and
		// its records must be read then.
		if s.o.ReadUncommitted {
			lo, err = adm.ListEndOffsets(ctx, topic)
		} else {
			lo, err = adm.ListCommittedOffsets(ctx, topic)
		}
	case StartTimestamp:
		lo, err = adm.ListOffsetsAfterMilli(ctx, st.Millis, topic)
	default:
		lo, err = adm.ListStartOffsets(ctx, topic)
	}
	if err == nil {
		err = lo.Error()
	}
	if err != nil {
		return 0, fmt.Errorf("list start offsets: %w", err)
	}
	o, ok := lo.Lookup(topic, part)
	if !ok {
		return 0, errors.New("partition not found when listing offsets")
	}
	return o.Offset, nil
}

// fetched is what the poll goroutine hands to Read.
type fetched struct {
	recs []*kgo.Record
	err  error
}

// reader reads one partition. A goroutine polls the client and hands
// batches over a small channel (bounded: when the job is slow, fetching
// stops and the partition's lag grows instead of memory).
type reader[T any] struct {
	src    *Source[T]
	split  string
	topic  string
	part   int32
	cl     *kgo.Client
	cancel context.CancelFunc
	ch     chan fetched
	ready  chan struct{}
	done   chan struct{}

	pending []*kgo.Record
	pi      int
	next    int64 // next offset to read = Position
	end     int64 // Bounded: stop here; -1 unbounded
	dead    []connector.DeadLetter
	seen    int64 // records read (good and bad), for MaxBadRatio
	bytes   int64 // connector.BytesReader
	// known is the end of the partition the last fetch response carried
	// (high watermark, or last stable offset under read_committed), or
	// listed at the open (-1: unknown): stored by the poll goroutine once
	// per fetch, read by SplitLag (connector.LagReader).
	known  atomic.Int64
	bad    int64
	rec    Record
	closed bool
	failed error
}

func (r *reader[T]) poll(ctx context.Context) {
	defer close(r.done)
	for {
		fs := r.cl.PollRecords(ctx, 4096)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return
		}
		r.noteEnd(fs)
		var f fetched
		fs.EachError(func(_ string, _ int32, err error) {
			if f.err == nil && !errors.Is(err, context.Canceled) {
				f.err = err
			}
		})
		f.recs = fs.Records()
		if len(f.recs) == 0 && f.err == nil {
			continue
		}
		select {
		case r.ch <- f:
		case <-ctx.Done():
			return
		}
		select {
		case r.ready <- struct{}{}:
		default:
		}
		if f.err != nil {
			return
		}
	}
}

// noteEnd keeps the end of the partition a fetch response carried: franz-go
// hands each partition's high watermark and last stable offset over with
// its records, so the live lag costs no request.
func (r *reader[T]) noteEnd(fs kgo.Fetches) {
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.Topic != r.topic || p.Partition != r.part {
			return
		}
		end := p.HighWatermark
		if !r.src.o.ReadUncommitted && p.LastStableOffset >= 0 {
			end = p.LastStableOffset
		}
		if end >= 0 {
			r.known.Store(end)
		}
	})
}

// SplitLag implements connector.LagReader: the end is the one the latest
// fetch response carried, or listed when the split opened (the end offset
// of a bounded split at most).
func (r *reader[T]) SplitLag() (connector.SplitLag, bool) {
	end := r.known.Load()
	if r.end >= 0 {
		if end < 0 {
			end = r.end
		}
		end = min(end, r.end)
	}
	if end < 0 {
		return connector.SplitLag{}, false
	}
	return connector.SplitLag{Connector: "kafka", Topic: r.topic, Partition: r.part, Position: r.next, End: end}, true
}

// Ready implements connector.Notifier.
func (r *reader[T]) Ready() <-chan struct{} { return r.ready }

// BytesRead implements connector.BytesReader.
func (r *reader[T]) BytesRead() int64 { return r.bytes }

func (r *reader[T]) Read(ctx context.Context, buf []T) (int, error) {
	return r.ReadTimestamped(ctx, buf, nil)
}

// ReadTimestamped implements connector.Timestamped: Kafka record timestamps
// are the event times unless the job assigns its own.
func (r *reader[T]) ReadTimestamped(_ context.Context, buf []T, ts []int64) (int, error) {
	if r.failed != nil {
		return 0, r.failed
	}
	n := 0
	for n < len(buf) {
		if r.end >= 0 && r.next >= r.end {
			if n == 0 {
				return 0, io.EOF
			}
			break
		}
		if r.pi >= len(r.pending) {
			var f fetched
			select {
			case f = <-r.ch:
			default:
				return n, nil
			}
			if f.err != nil {
				r.failed = fmt.Errorf("kafka source: topic %q partition %d at offset %d: fetch: %w", r.topic, r.part, r.next, f.err)
				if errors.Is(f.err, kerr.OffsetOutOfRange) {
					r.failed = fmt.Errorf("kafka source: topic %q partition %d: offset %d is out of range: the records from there are gone (retention or DeleteRecords ran while the job was down or behind) or the offset is past the end of the log; strom does not skip them silently: restore an earlier checkpoint or savepoint that is still in range, or start a new job (empty checkpoint directory) with the start you want: %w",
						r.topic, r.part, r.next, f.err)
				}
				if n == 0 {
					return 0, r.failed
				}
				return n, nil
			}
			r.pending, r.pi = f.recs, 0
			continue
		}
		kr := r.pending[r.pi]
		r.pending[r.pi] = nil
		r.pi++
		if kr.Offset < r.next {
			continue // a fetch may start before the requested offset (compressed batches)
		}
		if r.end >= 0 && kr.Offset >= r.end {
			// Bounded: offsets just below the end may be gone (compaction).
			r.next = r.end
			continue
		}
		if kr.Attrs.IsControl() {
			r.next = kr.Offset + 1 // a transaction marker occupies an offset
			continue
		}
		r.seen++
		r.bytes += kgoRecordBytes(kr)
		r.rec = Record{Topic: kr.Topic, Partition: kr.Partition, Offset: kr.Offset, Key: kr.Key, Value: kr.Value,
			Headers: toHeaders(kr.Headers), Timestamp: kr.Timestamp.UnixMilli()}
		v, err := r.src.o.Deserializer(&r.rec)
		if err != nil {
			switch r.src.o.OnError {
			case connector.Skip:
				r.src.skipped.Add(1)
			case connector.DeadLetterQueue:
				r.dead = append(r.dead, connector.DeadLetter{Key: kr.Key, Value: kr.Value, Headers: r.rec.Headers,
					Timestamp: r.rec.Timestamp, Source: r.topic, Split: r.split, Partition: r.part, Offset: kr.Offset,
					Stage: "deserialize", ErrorClass: format.ClassOr(err, "deserialize"), Message: err.Error()})
			default:
				// The position stays at the bad record: a restart meets it
				// again and fails the same way (it never half-skips).
				r.failed = fmt.Errorf("kafka source: topic %q partition %d offset %d: bad record (on-error=fail; use skip or dlq to go on): %w", r.topic, r.part, kr.Offset, err)
				r.pending, r.pi = nil, 0
				return n, r.failed
			}
			r.next = kr.Offset + 1
			r.bad++
			if m := r.src.o.MaxBadRatio; m > 0 && r.bad > MinBadForRatio && float64(r.bad) > m*float64(r.seen) {
				r.failed = fmt.Errorf("kafka source: topic %q partition %d: %d of %d records read since the partition opened were bad (%.1f%%), over MaxBadRatio %.1f%% (on-error=%s); stopping instead of going on; the last bad one, at offset %d: %w",
					r.topic, r.part, r.bad, r.seen, 100*float64(r.bad)/float64(r.seen), 100*m, r.src.o.OnError, kr.Offset, err)
				r.pending, r.pi = nil, 0
				return n, r.failed
			}
			continue
		}
		buf[n] = v
		if ts != nil {
			ts[n] = r.rec.Timestamp
		}
		n++
		r.next = kr.Offset + 1
	}
	return n, nil
}

// TakeDeadLetters implements connector.DeadLetterReader.
func (r *reader[T]) TakeDeadLetters(buf []connector.DeadLetter) []connector.DeadLetter {
	buf = append(buf, r.dead...)
	clear(r.dead)
	r.dead = r.dead[:0]
	return buf
}

// Position is the next offset to read.
func (r *reader[T]) Position() []byte { return encodePos(r.next) }

// CheckpointComplete implements connector.CheckpointListener: with
// CommitOffsets it commits the checkpoint's offset of this partition to the
// group (for lag monitoring; strom itself restores from the checkpoint).
func (r *reader[T]) CheckpointComplete(ctx context.Context, _ int64, pos []byte) error {
	if !r.src.o.CommitOffsets {
		return nil
	}
	next, err := decodePos(pos)
	if err != nil {
		return err
	}
	var os kadm.Offsets
	os.AddOffset(r.topic, r.part, next, -1)
	resp, err := kadm.NewClient(r.cl).CommitOffsets(ctx, r.src.o.Group, os)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return fmt.Errorf("kafka source: commit offset %d of %s to group %q: %w", next, r.split, r.src.o.Group, err)
	}
	return nil
}

// Close stops the poll goroutine and the client.
func (r *reader[T]) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.cancel()
	r.cl.Close()
	<-r.done
	return nil
}

var (
	_ connector.BytesReader = (*reader[int])(nil)
	_ connector.LagReader   = (*reader[int])(nil)
)
