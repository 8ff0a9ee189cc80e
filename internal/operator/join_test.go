package operator

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/state"
)

// The join and broadcast operators are tested with traces in
// testdata/join/*.txt. A file holds cases; a case is
//
//	op <kind> [options]     the operator under test (see buildJoinHarness)
//	<commands>              one a line, see below
//	----
//	<transcript>            every command echoed, its output indented
//
// and ends at a blank line. '#' lines between cases are comments. Commands:
//
//	a <key> <ts> <value>    a record on input 1 (left / keyed / records)
//	b <key> <ts> <value>    a record on input 2 (right / broadcast / table)
//	wm <ts>                 a watermark
//	time <ms>               processing time moves to ms (fires timers)
//	state                   state entries and pending timers
//	snapshot                the broadcast state snapshot, in hex
//	end                     watermark MaxTime, then Finish
//
// go test ./internal/operator -run TestJoinTraces -update rewrites the
// transcripts.

// The -update flag is registered in init (after every package-level
// variable of the test binary), and only if no other test file of the
// package registered it first, so that test files can share it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the expected output of testdata traces")
	}
}

func joinUpdate() bool {
	f := flag.Lookup("update")
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	v, _ := g.Get().(bool)
	return v
}

// jrec is the record type of the traces: a key and a value.
type jrec struct{ K, V string }

func jrecKey(r jrec) string { return r.K }

// joinLines prints what an operator emits into the transcript.
type joinLines[T any] struct {
	out    *[]string
	prefix string
	format func(T) string
}

func (c joinLines[T]) Collect(ts int64, v T) {
	s := c.format(v)
	*c.out = append(*c.out, fmt.Sprintf("%s %s %s", c.prefix, joinTS(ts), s))
}

func joinTS(ts int64) string {
	switch ts {
	case base.MinTime:
		return "min"
	case base.MaxTime:
		return "max"
	}
	return strconv.FormatInt(ts, 10)
}

func joinFmtRec(r jrec) string   { return r.K + " " + r.V }
func joinFmtStr(s string) string { return s }

// joinHarness drives one operator through a trace.
type joinHarness struct {
	op       Operator
	in1, in2 Collector[jrec]
	out      []string
	clock    *base.ManualClock
	backend  *state.Heap
	timers   func() int
	snapshot func() []byte
}

type joinArgs map[string]string

func (a joinArgs) ms(t *testing.T, name string, def int64) int64 {
	s, ok := a[name]
	if !ok {
		return def
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("op option %s=%q: %v", name, s, err)
	}
	return v
}

func (a joinArgs) has(name string) bool { _, ok := a[name]; return ok }

func joinAssigner(t *testing.T, args joinArgs) WindowAssigner {
	ms := func(name string) time.Duration { return time.Duration(args.ms(t, name, 0)) * time.Millisecond }
	switch {
	case args.has("tumbling"):
		return TumblingWindows{Size: ms("size"), Offset: ms("offset"), Processing: args.has("processing")}
	case args.has("sliding"):
		return SlidingWindows{Size: ms("size"), Slide: ms("slide"), Offset: ms("offset"), Processing: args.has("processing")}
	case args.has("session"):
		return SessionWindows{Gap: ms("gap")}
	}
	t.Fatalf("op needs tumbling, sliding or session")
	return nil
}

func buildJoinHarness(t *testing.T, kind string, args joinArgs) *joinHarness {
	h := &joinHarness{clock: base.NewManualClock(time.UnixMilli(0))}
	emit := joinLines[string]{out: &h.out, prefix: "emit", format: joinFmtStr}
	sides := map[string]any{}
	side := func(tag string) string {
		sides[tag] = Collector[jrec](joinLines[jrec]{out: &h.out, prefix: tag, format: joinFmtRec})
		return tag
	}
	kcod := codec.For[string]()
	switch kind {
	case "interval":
		op := &IntervalJoin[string, jrec, jrec, string]{Key1: jrecKey, Key2: jrecKey, KeyCodec: kcod,
			Lower: args.ms(t, "lower", 0), Upper: args.ms(t, "upper", 0), Out: emit,
			Fn: func(ctx *JoinContext, a, b jrec, out Emitter[string]) error {
				out.Emit(fmt.Sprintf("%s@%d|%s@%d", a.V, ctx.LeftTimestamp(), b.V, ctx.RightTimestamp()))
				return nil
			}}
		if args.has("lower-exclusive") {
			op.Lower++
		}
		if args.has("upper-exclusive") {
			op.Upper--
		}
		if args.has("late") {
			op.LateTagA, op.LateTagB = side("late-a"), side("late-b")
		}
		op.JoinLate = args.has("join-late")
		h.op, h.in1, h.in2, h.timers = op, op.Input1(), op.Input2(), op.PendingTimers
	case "window-join", "cogroup":
		op := &WindowCoGroup[string, jrec, jrec, string]{Key1: jrecKey, Key2: jrecKey, KeyCodec: kcod,
			Assigner: joinAssigner(t, args), Out: emit}
		if kind == "window-join" {
			op.Fn = CrossJoin[string](func(a, b jrec) string { return a.V + "|" + b.V })
		} else {
			op.Fn = func(key string, w Window, as, bs []jrec, out Emitter[string]) {
				vals := func(rs []jrec) string {
					s := make([]string, len(rs))
					for i, r := range rs {
						s[i] = r.V
					}
					return "[" + strings.Join(s, " ") + "]"
				}
				out.Emit(fmt.Sprintf("%s %v %s %s", key, w, vals(as), vals(bs)))
			}
		}
		if args.has("late") {
			op.LateTagA, op.LateTagB = side("late-a"), side("late-b")
		}
		h.op, h.in1, h.in2, h.timers = op, op.Input1(), op.Input2(), op.PendingTimers
	case "enrich":
		op := &Enrich[string, jrec, jrec, string]{Key1: jrecKey, Key2: jrecKey, KeyCodec: kcod, Out: emit,
			Fn:      func(a, r jrec) string { return a.V + "+" + r.V },
			MaxWait: args.ms(t, "maxwait", 0)}
		if args.has("deletes") {
			op.IsDelete = func(r jrec) bool { return r.V == "-" }
		}
		if args.has("unmatched") {
			op.UnmatchedTag = side("unmatched")
		}
		h.op, h.in1, h.in2, h.timers = op, op.Input1(), op.Input2(), op.PendingTimers
	case "broadcast":
		op := &KeyedBroadcastProcess[string, jrec, jrec, string]{KeyFn: jrecKey, KeyCodec: kcod, Fn: &joinThresholdRules{}, Out: emit}
		h.op, h.in1, h.in2, h.timers = op, op.Input1(), op.Input2(), func() int { return op.event.Len() + op.proc.Len() }
		h.snapshot = op.SnapshotBroadcastState
	default:
		t.Fatalf("unknown op %q", kind)
	}
	kgs := base.RangeFor(base.DefaultMaxParallelism, 1, 0)
	h.backend = state.NewHeap(kgs)
	rt := &Runtime{Name: kind, UID: kind, Parallelism: 1, MaxParallelism: base.DefaultMaxParallelism,
		KeyGroups: kgs, Clock: h.clock, State: h.backend, Metrics: &Metrics{}, Sides: sides}
	if err := h.op.Open(rt); err != nil {
		t.Fatalf("open: %v", err)
	}
	return h
}

// joinThresholdRules is the broadcast function of the traces. Broadcast records
// are rules "name=threshold" ("name=-" removes the rule); a keyed record
// whose integer value reaches a rule's threshold emits a match. Each keyed
// record also counts per key and sets a timer 10ms later that reports the
// count and the number of rules.
type joinThresholdRules struct {
	count *ValueState[int64]
}

var joinRuleDesc = NewBroadcastStateDescriptor[string, int64]("rules")

func (f *joinThresholdRules) Open(ctx *OpenContext) error {
	f.count = NewValueState(ctx.KC, "count", codec.For[int64](), TTL{})
	return nil
}

func (f *joinThresholdRules) ProcessElement(ctx *ReadOnlyBroadcastContext[string], v jrec, out Emitter[string]) error {
	n, err := strconv.ParseInt(v.V, 10, 64)
	if err != nil {
		return err
	}
	c, _ := f.count.Get()
	f.count.Set(c + 1)
	joinRuleDesc.ReadOnly(ctx).Range(func(name string, thr int64) bool {
		if n >= thr {
			out.Emit(fmt.Sprintf("%s %d matches %s>=%d", ctx.Key(), n, name, thr))
		}
		return true
	})
	ctx.RegisterEventTimeTimer(ctx.Timestamp() + 10)
	return nil
}

func (f *joinThresholdRules) ProcessBroadcastElement(ctx *BroadcastContext, v jrec, out Emitter[string]) error {
	name, thr, ok := strings.Cut(v.V, "=")
	if !ok {
		return fmt.Errorf("rule %q: want name=threshold", v.V)
	}
	rules := joinRuleDesc.Get(ctx)
	if thr == "-" {
		rules.Remove(name)
	} else {
		n, err := strconv.ParseInt(thr, 10, 64)
		if err != nil {
			return err
		}
		rules.Put(name, n)
	}
	out.Emit(fmt.Sprintf("rules=%d", rules.Len()))
	return nil
}

func (f *joinThresholdRules) OnTimer(ctx *ReadOnlyBroadcastContext[string], t int64, out Emitter[string]) error {
	c, _ := f.count.Get()
	out.Emit(fmt.Sprintf("timer %s count=%d rules=%d", ctx.Key(), c, joinRuleDesc.ReadOnly(ctx).Len()))
	return nil
}

// run executes one command and returns its output lines.
func (h *joinHarness) run(t *testing.T, line string) []string {
	h.out = h.out[:0]
	f := strings.Fields(line)
	ts := func(s string) int64 {
		switch s {
		case "min":
			return base.MinTime
		case "max":
			return base.MaxTime
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("%q: bad time %q", line, s)
		}
		return v
	}
	need := func(n int) {
		if len(f) != n {
			t.Fatalf("%q: want %d fields", line, n)
		}
	}
	switch f[0] {
	case "a", "b":
		need(4)
		in := h.in1
		if f[0] == "b" {
			in = h.in2
		}
		in.Collect(ts(f[2]), jrec{K: f[1], V: f[3]})
	case "wm":
		need(2)
		h.op.Watermark(ts(f[1]))
	case "time":
		need(2)
		h.clock.Set(time.UnixMilli(ts(f[1])))
		if pt, ok := h.op.(ProcessingTimed); ok && pt.NextProcessingTime() <= h.clock.NowMillis() {
			pt.OnProcessingTime(h.clock.NowMillis())
		}
	case "state":
		entries := 0
		for _, n := range h.backend.TableNames() {
			entries += h.backend.Table(n).Len()
		}
		if entries == 0 && h.backend.SizeBytes() != 0 {
			t.Errorf("%q: no entries but %d bytes of state", line, h.backend.SizeBytes())
		}
		h.out = append(h.out, fmt.Sprintf("entries=%d timers=%d", entries, h.timers()))
	case "snapshot":
		h.out = append(h.out, hex.EncodeToString(h.snapshot()))
	case "end":
		h.op.Watermark(base.MaxTime)
		if err := h.op.Finish(); err != nil {
			t.Fatalf("finish: %v", err)
		}
	default:
		t.Fatalf("unknown command %q", line)
	}
	return slices.Clone(h.out)
}

type joinCase struct {
	op       string
	cmds     []string
	from, to int // expected lines [from, to) of the file
}

func parseJoinTraces(t *testing.T, lines []string) []joinCase {
	var cases []joinCase
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if !strings.HasPrefix(l, "op ") {
			t.Fatalf("line %d: want 'op ...', got %q", i+1, l)
		}
		c := joinCase{op: l}
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "----"; i++ {
			if s := strings.TrimSpace(lines[i]); s != "" && !strings.HasPrefix(s, "#") {
				c.cmds = append(c.cmds, s)
			}
		}
		if i == len(lines) {
			t.Fatalf("case %q: no ---- line", c.op)
		}
		c.from = i + 1
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
		}
		c.to = i
		cases = append(cases, c)
	}
	return cases
}

func TestJoinTraces(t *testing.T) {
	files, err := filepath.Glob("testdata/join/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
			cases := parseJoinTraces(t, lines)
			got := make([][]string, len(cases))
			for ci, c := range cases {
				f := strings.Fields(c.op)
				args := joinArgs{}
				for _, a := range f[2:] {
					k, v, _ := strings.Cut(a, "=")
					args[k] = v
				}
				h := buildJoinHarness(t, f[1], args)
				for _, cmd := range c.cmds {
					got[ci] = append(got[ci], cmd)
					for _, o := range h.run(t, cmd) {
						got[ci] = append(got[ci], "  "+o)
					}
				}
				if !joinUpdate() {
					want := lines[c.from:c.to]
					if !slices.Equal(got[ci], want) {
						t.Errorf("case %q:\n--- got\n%s\n--- want\n%s", c.op, strings.Join(got[ci], "\n"), strings.Join(want, "\n"))
					}
				}
			}
			if joinUpdate() {
				var b bytes.Buffer
				at := 0
				for ci, c := range cases {
					for _, l := range lines[at:c.from] {
						b.WriteString(l + "\n")
					}
					for _, l := range got[ci] {
						b.WriteString(l + "\n")
					}
					at = c.to
				}
				for _, l := range lines[at:] {
					b.WriteString(l + "\n")
				}
				if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestIntervalBounds(t *testing.T) {
	for _, tc := range []struct {
		lower, upper time.Duration
		le, ue       bool
		lo, hi       int64
		ok           bool
	}{
		{-2 * time.Millisecond, time.Millisecond, false, false, -2, 1, true},
		{-2 * time.Millisecond, time.Millisecond, true, true, -1, 0, true},
		{0, 0, false, false, 0, 0, true},
		{0, 0, true, false, 0, 0, false},
		{time.Second, time.Millisecond, false, false, 0, 0, false},
		{0, time.Millisecond, true, true, 0, 0, false},
	} {
		lo, hi, err := IntervalBounds(tc.lower, tc.upper, tc.le, tc.ue)
		if (err == nil) != tc.ok || (tc.ok && (lo != tc.lo || hi != tc.hi)) {
			t.Errorf("IntervalBounds(%v, %v, %t, %t) = %d, %d, %v", tc.lower, tc.upper, tc.le, tc.ue, lo, hi, err)
		}
	}
}

func TestCheckJoinAssigner(t *testing.T) {
	for _, tc := range []struct {
		a  WindowAssigner
		ok bool
	}{
		{TumblingWindows{Size: time.Second}, true},
		{SlidingWindows{Size: time.Second, Slide: 100 * time.Millisecond}, true},
		{TumblingWindows{Size: time.Second, Processing: true}, true},
		{SessionWindows{Gap: time.Second}, false},
		{GlobalWindows{}, false},
		{nil, false},
		{TumblingWindows{}, false},
	} {
		if err := CheckJoinAssigner(tc.a); (err == nil) != tc.ok {
			t.Errorf("CheckJoinAssigner(%#v) = %v", tc.a, err)
		}
	}
}

// joinMustPanic runs fn and returns the error it panicked with.
func joinMustPanic(t *testing.T, fn func()) error {
	t.Helper()
	var got any
	func() {
		defer func() { got = recover() }()
		fn()
	}()
	if got == nil {
		t.Fatal("no panic")
	}
	err, ok := got.(error)
	if !ok {
		t.Fatalf("panic with %T %v", got, got)
	}
	return err
}

func TestJoinRecordWithoutTimestampFails(t *testing.T) {
	h := buildJoinHarness(t, "interval", joinArgs{"lower": "0", "upper": "1"})
	err := joinMustPanic(t, func() { h.in1.Collect(base.MinTime, jrec{"k", "v"}) })
	var oe *base.OperatorError
	if !errors.As(err, &oe) || !errors.Is(err, errJoinNoTimestamp) {
		t.Fatalf("got %v", err)
	}
	h = buildJoinHarness(t, "window-join", joinArgs{"tumbling": "", "size": "10"})
	err = joinMustPanic(t, func() { h.in2.Collect(base.MinTime, jrec{"k", "v"}) })
	if !errors.Is(err, errJoinNoTimestamp) {
		t.Fatalf("got %v", err)
	}
}

func TestWindowJoinRejectsSessionsAtOpen(t *testing.T) {
	op := &WindowCoGroup[string, jrec, jrec, string]{Key1: jrecKey, Key2: jrecKey, KeyCodec: codec.For[string](),
		Assigner: SessionWindows{Gap: time.Second}, Out: Discard[string]{}}
	kgs := base.RangeFor(128, 1, 0)
	err := op.Open(&Runtime{Name: "wj", MaxParallelism: 128, KeyGroups: kgs, Clock: base.SystemClock{}, State: state.NewHeap(kgs)})
	if err == nil || !strings.Contains(err.Error(), "merging") {
		t.Fatalf("got %v", err)
	}
}

// TestIntervalJoinRandom checks the interval join against a nested loop on
// random data whose disorder stays within the watermark's bound (so nothing
// is late), for random bounds, and that all state is gone at the end.
func TestIntervalJoinRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type ev struct {
		left bool
		r    jrec
		ts   int64
	}
	for round := range 50 {
		lower := rng.Int64N(21) - 10
		upper := lower + rng.Int64N(15)
		h := buildJoinHarness(t, "interval", joinArgs{"lower": fmt.Sprint(lower), "upper": fmt.Sprint(upper)})
		const disorder = 5
		var evs []ev
		for i := range 200 {
			base := int64(i / 2)
			evs = append(evs, ev{left: rng.IntN(2) == 0, ts: base + rng.Int64N(disorder),
				r: jrec{K: fmt.Sprint(rng.IntN(4)), V: fmt.Sprint(i)}})
		}
		var got []string
		maxTS := int64(-1 << 40)
		for _, e := range evs {
			if e.left {
				h.in1.Collect(e.ts, e.r)
			} else {
				h.in2.Collect(e.ts, e.r)
			}
			maxTS = max(maxTS, e.ts)
			h.op.Watermark(maxTS - disorder)
			got = append(got, h.out...)
			h.out = h.out[:0]
		}
		h.op.Watermark(base.MaxTime)
		got = append(got, h.out...)
		var want []string
		for _, a := range evs {
			for _, b := range evs {
				if a.left && !b.left && a.r.K == b.r.K && b.ts >= a.ts+lower && b.ts <= a.ts+upper {
					want = append(want, fmt.Sprintf("emit %d %s@%d|%s@%d", max(a.ts, b.ts), a.r.V, a.ts, b.r.V, b.ts))
				}
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("round %d [%d,%d]: got %d pairs, want %d", round, lower, upper, len(got), len(want))
		}
		if n := h.backend.SizeBytes(); n != 0 || h.timers() != 0 {
			t.Fatalf("round %d: %d bytes and %d timers left", round, n, h.timers())
		}
		if late := h.op.(*IntervalJoin[string, jrec, jrec, string]).M.Late; late != 0 {
			t.Fatalf("round %d: %d late", round, late)
		}
	}
}

func BenchmarkIntervalJoin(b *testing.B) { benchIntervalJoin(b, false) }

// BenchmarkIntervalJoinLate is BenchmarkIntervalJoin with JoinLate (the
// SQL interval join's mode).
func BenchmarkIntervalJoinLate(b *testing.B) { benchIntervalJoin(b, true) }

func benchIntervalJoin(b *testing.B, late bool) {
	kgs := base.RangeFor(base.DefaultMaxParallelism, 1, 0)
	op := &IntervalJoin[string, jrec, jrec, int]{Key1: jrecKey, Key2: jrecKey, KeyCodec: codec.For[string](),
		Lower: -5, Upper: 5, Out: Discard[int]{}, JoinLate: late,
		Fn: func(_ *JoinContext, _, _ jrec, out Emitter[int]) error { out.Emit(1); return nil }}
	rt := &Runtime{Name: "bench", MaxParallelism: base.DefaultMaxParallelism, KeyGroups: kgs,
		Clock: base.SystemClock{}, State: state.NewHeap(kgs), Metrics: &Metrics{}}
	if err := op.Open(rt); err != nil {
		b.Fatal(err)
	}
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	left, right := op.Input1(), op.Input2()
	b.ReportAllocs()
	for i := range b.N {
		ts := int64(i / 10)
		r := jrec{K: keys[i%len(keys)], V: "v"}
		if i%2 == 0 {
			left.Collect(ts, r)
		} else {
			right.Collect(ts, r)
		}
		if i%1000 == 0 {
			op.Watermark(ts - 10)
		}
	}
}
