package operator

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/state"
)

// The window traces in testdata/window/*.txt drive one KeyedWindow
// operator. A trace is a list of commands, a line "----", and the expected
// transcript: each command that produced output, followed by its output
// lines indented by two spaces. Run with -update to rewrite the transcripts.
//
//	config assigner=tumbling size=1s fn=sum   # first line: the operator
//	record key=a ts=1000 v=3                  # an element (ts optional)
//	watermark 1999                            # or "watermark max"
//	advance-clock 500ms                       # processing time (starts at 0)
//	state                                     # keyed state entries and timers
//	metrics                                   # records in, late
//	batch 3                                   # the next 3 records in one CollectBatch
//	snapshot-restore buffer=true              # snapshot, restore into a new operator
//
// config keys: assigner (tumbling|sliding|session|global), time
// (event|processing), size, slide, offset, gap, fn (sum: an incremental sum
// with a process function; reduce: a reduce; list: all elements; list-state:
// all elements plus a per-window fire counter), trigger (event|processing|
// never|count:N|purging-count:N|continuous:D), evictor (count:N|
// count-after:N|time:D|time-after:D), lateness (D), late-side (true).
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the expected output of testdata traces")
	}
}

func winUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

type winRec struct {
	Key string
	V   int64
}

type winCollectFunc[T any] func(ts int64, v T)

func (f winCollectFunc[T]) Collect(ts int64, v T) { f(ts, v) }

type winSumAgg struct{}

func (winSumAgg) CreateAccumulator() int64            { return 0 }
func (winSumAgg) Add(v winRec, acc int64) int64       { return acc + v.V }
func (winSumAgg) Merge(a, b int64) int64              { return a + b }
func (winSumAgg) Result(acc int64) int64              { return acc }
func winSumReduce(a, b winRec) winRec                 { return winRec{Key: a.Key, V: a.V + b.V} }
func winKeyOf(r winRec) string                        { return r.Key }
func (o *KeyedWindow[K, T, R, O]) timers() (int, int) { return o.event.Len(), o.proc.Len() }

// winTraceOp is a KeyedWindow[string, winRec, R, string] of any R.
type winTraceOp interface {
	Operator
	Collector[winRec]
	ProcessingTimed
	timers() (event, proc int)
}

type winSumFn struct{}

func (winSumFn) Process(ctx *WindowContext[string], elems []int64, out Emitter[string]) error {
	for _, v := range elems {
		out.Emit(fmt.Sprintf("key=%s window=%s v=%d", ctx.Key(), winFmtWindow(ctx.Window()), v))
	}
	return nil
}

func winFmtWindow(w Window) string {
	if w == (Window{Start: base.MinTime, End: base.MaxTime}) {
		return "global"
	}
	return w.String()
}

type winReduceFn struct{}

func (winReduceFn) Process(ctx *WindowContext[string], elems []winRec, out Emitter[string]) error {
	for _, v := range elems {
		out.Emit(fmt.Sprintf("key=%s window=%s v=%d", ctx.Key(), winFmtWindow(ctx.Window()), v.V))
	}
	return nil
}

type winListFn struct {
	perWindow bool
	fires     *ValueState[int64]
}

func (f *winListFn) Open(ctx *OpenContext) error {
	if f.perWindow {
		f.fires = NewValueState[int64](ctx.KC, "fires", codec.Int64{}, TTL{})
	}
	return nil
}

func (f *winListFn) Process(ctx *WindowContext[string], elems []winRec, out Emitter[string]) error {
	vs := make([]string, len(elems))
	for i, e := range elems {
		vs[i] = strconv.FormatInt(e.V, 10)
	}
	s := fmt.Sprintf("key=%s window=%s v=[%s]", ctx.Key(), winFmtWindow(ctx.Window()), strings.Join(vs, " "))
	if f.perWindow {
		ctx.WindowState(f.fires)
		n, _ := f.fires.Get()
		n++
		f.fires.Set(n)
		s += fmt.Sprintf(" fire#%d", n)
	}
	out.Emit(s)
	return nil
}

func winParseKV(fields []string) (map[string]string, error) {
	m := map[string]string{}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not key=value", f)
		}
		m[k] = v
	}
	return m, nil
}

func winDur(m map[string]string, k string) time.Duration {
	v, ok := m[k]
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		panic(fmt.Sprintf("config %s: %v", k, err))
	}
	return d
}

func winParseTrigger(s string) Trigger {
	name, arg, _ := strings.Cut(s, ":")
	n, _ := strconv.ParseInt(arg, 10, 64)
	switch name {
	case "":
		return nil
	case "event":
		return EventTimeTrigger{}
	case "processing":
		return ProcessingTimeTrigger{}
	case "never":
		return NeverTrigger{}
	case "count":
		return CountTrigger{N: n}
	case "purging-count":
		return PurgingTrigger{Inner: CountTrigger{N: n}}
	case "continuous":
		d, err := time.ParseDuration(arg)
		if err != nil {
			panic(err)
		}
		return ContinuousEventTimeTrigger{Interval: d}
	}
	panic("unknown trigger " + s)
}

func winParseEvictor(s string) Evictor {
	name, arg, _ := strings.Cut(s, ":")
	switch name {
	case "":
		return nil
	case "count", "count-after":
		n, err := strconv.Atoi(arg)
		if err != nil {
			panic(err)
		}
		return CountEvictor{Max: n, After: name == "count-after"}
	case "time", "time-after":
		d, err := time.ParseDuration(arg)
		if err != nil {
			panic(err)
		}
		return TimeEvictor{Keep: d, After: name == "time-after"}
	}
	panic("unknown evictor " + s)
}

func winBuildTraceOp(cfg map[string]string, out Collector[string]) (winTraceOp, error) {
	proc := cfg["time"] == "processing"
	var a WindowAssigner
	switch cfg["assigner"] {
	case "tumbling":
		a = TumblingWindows{Size: winDur(cfg, "size"), Offset: winDur(cfg, "offset"), Processing: proc}
	case "sliding":
		a = SlidingWindows{Size: winDur(cfg, "size"), Slide: winDur(cfg, "slide"), Offset: winDur(cfg, "offset"), Processing: proc}
	case "session":
		a = SessionWindows{Gap: winDur(cfg, "gap"), Processing: proc}
	case "global":
		a = GlobalWindows{}
	default:
		return nil, fmt.Errorf("unknown assigner %q", cfg["assigner"])
	}
	trig := winParseTrigger(cfg["trigger"])
	ev := winParseEvictor(cfg["evictor"])
	late := ""
	if cfg["late-side"] == "true" {
		late = "late"
	}
	lateness := winDur(cfg, "lateness")
	buffer := cfg["buffer"] == "true"
	switch cfg["key"] {
	case "", "string":
	case "int64":
		return winBuildKeyedOp(a, trig, lateness, late, cfg["fn"], buffer, winIntKey[int64], codec.Int64{}, out)
	case "int32":
		return winBuildKeyedOp(a, trig, lateness, late, cfg["fn"], buffer, winIntKey[int32], codec.For[int32](), out)
	default:
		return nil, fmt.Errorf("unknown key %q", cfg["key"])
	}
	switch cfg["fn"] {
	case "sum", "reduce":
		return winBuildKeyedOp(a, trig, lateness, late, cfg["fn"], buffer, winKeyOf, codec.String{}, out)
	case "list", "list-state":
		return &KeyedWindow[string, winRec, winRec, string]{KeyFn: winKeyOf, KeyCodec: codec.String{}, Assigner: a,
			Trigger: trig, AllowedLateness: lateness, LateTag: late,
			Contents: ListContents[winRec](nil, ev), Fn: &winListFn{perWindow: cfg["fn"] == "list-state"}, Out: out}, nil
	}
	return nil, fmt.Errorf("unknown fn %q", cfg["fn"])
}

// winIntKey maps the trace's keys to integers: zero, a negative one (which
// sorts after the positive ones in its encoding) and positive ones.
func winIntKey[I int32 | int64](r winRec) I {
	switch r.Key {
	case "a":
		return 5
	case "b":
		return -3
	case "c":
		return 0
	case "d":
		return 1 << 20
	}
	n, _ := strconv.ParseInt(r.Key, 10, 64)
	return I(n)
}

// winSumFnK is winSumFn of any key type.
type winSumFnK[K any] struct{}

func (winSumFnK[K]) Process(ctx *WindowContext[K], elems []int64, out Emitter[string]) error {
	for _, v := range elems {
		out.Emit(fmt.Sprintf("key=%v window=%s v=%d", ctx.Key(), winFmtWindow(ctx.Window()), v))
	}
	return nil
}

type winReduceFnK[K any] struct{}

func (winReduceFnK[K]) Process(ctx *WindowContext[K], elems []winRec, out Emitter[string]) error {
	for _, v := range elems {
		out.Emit(fmt.Sprintf("key=%v window=%s v=%d", ctx.Key(), winFmtWindow(ctx.Window()), v.V))
	}
	return nil
}

// winBuildKeyedOp builds a sum or reduce window keyed by K, with a window
// buffer when buffer is set.
func winBuildKeyedOp[K comparable](a WindowAssigner, trig Trigger, lateness time.Duration, late, fn string, buffer bool,
	key func(winRec) K, kc codec.Codec[K], out Collector[string]) (winTraceOp, error) {
	switch fn {
	case "sum":
		op := &KeyedWindow[K, winRec, int64, string]{KeyFn: key, KeyCodec: kc, Assigner: a,
			Trigger: trig, AllowedLateness: lateness, LateTag: late,
			Contents: AggregateContents[winRec, int64, int64](winSumAgg{}, nil), Fn: winSumFnK[K]{}, Out: out}
		if buffer {
			op.Buffer = AggregateBuffer[K, winRec, int64, int64](op.Contents)
		}
		return op, nil
	case "reduce":
		op := &KeyedWindow[K, winRec, winRec, string]{KeyFn: key, KeyCodec: kc, Assigner: a,
			Trigger: trig, AllowedLateness: lateness, LateTag: late,
			Contents: ReduceContents(winSumReduce, nil), Fn: winReduceFnK[K]{}, Out: out}
		if buffer {
			op.Buffer = AggregateBuffer[K, winRec, winRec, winRec](op.Contents)
		}
		return op, nil
	}
	return nil, fmt.Errorf("unknown fn %q with a non-string key", fn)
}

func winStateEntries(b state.Backend) int {
	n := 0
	for _, name := range b.TableNames() {
		n += b.Table(name).Len()
	}
	return n
}

// winRunTrace runs the commands of a trace and returns its transcript.
func winRunTrace(t interface{ Fatalf(string, ...any) }, cmds []string) string {
	var tr strings.Builder
	var pending []string
	outCol := winCollectFunc[string](func(ts int64, v string) {
		pending = append(pending, fmt.Sprintf("out ts=%s %s", winFmtTS(ts), v))
	})
	lateCol := winCollectFunc[winRec](func(ts int64, v winRec) {
		pending = append(pending, fmt.Sprintf("late ts=%s key=%s v=%d", winFmtTS(ts), v.Key, v.V))
	})
	clock := base.NewManualClock(time.UnixMilli(0))
	var op winTraceOp
	var backend *state.Heap
	var m *Metrics
	wm := base.MinTime
	// batch N: the next N records go to CollectBatch in one run (flushed
	// early by any other command).
	batching := 0
	var bts []int64
	var bvs []winRec
	flush := func() {
		if len(bvs) > 0 {
			op.(BatchCollector[winRec]).CollectBatch(bts, bvs)
		}
		bts, bvs, batching = bts[:0], bvs[:0], 0
	}
	for i, line := range cmds {
		fields := strings.Fields(line)
		kv, _ := winParseKV(fields[1:])
		fail := func(err error) { t.Fatalf("line %d %q: %v", i+1, line, err) }
		if op == nil && fields[0] != "config" {
			fail(fmt.Errorf("the first command must be config"))
		}
		if fields[0] != "record" {
			flush()
		}
		switch fields[0] {
		case "batch":
			n, err := strconv.Atoi(fields[1])
			if err != nil {
				fail(err)
			}
			batching = n
		case "config":
			cfg, err := winParseKV(fields[1:])
			if err != nil {
				fail(err)
			}
			if op, err = winBuildTraceOp(cfg, outCol); err != nil {
				fail(err)
			}
			backend = state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
			m = &Metrics{}
			rt := &Runtime{Ctx: context.Background(), Name: "window", Parallelism: 1,
				MaxParallelism: base.DefaultMaxParallelism, KeyGroups: backend.KeyGroups(), Clock: clock,
				State: backend, Metrics: m, Sides: map[string]any{"late": Collector[winRec](lateCol)}}
			if err := op.Open(rt); err != nil {
				pending = append(pending, "open error: "+err.Error())
				op = nil
			}
		case "record":
			ts := base.MinTime
			if s, ok := kv["ts"]; ok {
				v, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					fail(err)
				}
				ts = v
			}
			v, _ := strconv.ParseInt(kv["v"], 10, 64)
			if batching > 0 {
				bts, bvs = append(bts, ts), append(bvs, winRec{Key: kv["key"], V: v})
				if len(bvs) == batching {
					flush()
				}
				break
			}
			op.Collect(ts, winRec{Key: kv["key"], V: v})
		case "watermark":
			wm = base.MaxTime
			if fields[1] != "max" {
				v, err := strconv.ParseInt(fields[1], 10, 64)
				if err != nil {
					fail(err)
				}
				wm = v
			}
			op.Watermark(wm)
		case "advance-clock":
			d, err := time.ParseDuration(fields[1])
			if err != nil {
				fail(err)
			}
			clock.Advance(d)
			if now := clock.NowMillis(); op.NextProcessingTime() <= now {
				op.OnProcessingTime(now)
			}
		case "snapshot-restore":
			// Snapshot as a checkpoint does (SnapshotState, timers, every
			// key group), then restore into a new operator whose config
			// is the first line's with kv applied (buffer=true|false).
			if s, ok := op.(Snapshotter); ok {
				if _, err := s.SnapshotState(1); err != nil {
					fail(err)
				}
			}
			timers := op.(TimerSnapshotter).SnapshotTimers()
			groups := map[int][]byte{}
			for kg := range base.DefaultMaxParallelism {
				groups[kg] = state.AppendGroup(nil, backend, kg)
			}
			cfg, _ := winParseKV(strings.Fields(cmds[0])[1:])
			for k, v := range kv {
				cfg[k] = v
			}
			var err error
			if op, err = winBuildTraceOp(cfg, outCol); err != nil {
				fail(err)
			}
			backend = state.NewHeap(base.KeyGroupRange{Start: 0, End: base.DefaultMaxParallelism})
			for kg, b := range groups {
				if err := state.RestoreGroup(backend, kg, b); err != nil {
					fail(err)
				}
			}
			rt := &Runtime{Ctx: context.Background(), Name: "window", Parallelism: 1,
				MaxParallelism: base.DefaultMaxParallelism, KeyGroups: backend.KeyGroups(), Clock: clock,
				State: backend, Metrics: m, Sides: map[string]any{"late": Collector[winRec](lateCol)},
				Restored: &Restored{CheckpointID: 1, Timers: timers}}
			if err := op.Open(rt); err != nil {
				fail(err)
			}
			op.Watermark(wm)
		case "state":
			ev, pr := op.timers()
			pending = append(pending, fmt.Sprintf("state entries=%d bytes=%d event-timers=%d proc-timers=%d",
				winStateEntries(backend), backend.SizeBytes(), ev, pr))
		case "metrics":
			pending = append(pending, fmt.Sprintf("metrics in=%d late=%d", m.In, m.Late))
		default:
			fail(fmt.Errorf("unknown command"))
		}
		if len(pending) > 0 {
			tr.WriteString(line + "\n")
			for _, p := range pending {
				tr.WriteString("  " + p + "\n")
			}
			pending = pending[:0]
		}
	}
	return tr.String()
}

func winFmtTS(ts int64) string {
	switch ts {
	case base.MinTime:
		return "min"
	case base.MaxTime:
		return "max"
	}
	return strconv.FormatInt(ts, 10)
}

func TestWindowTraces(t *testing.T) {
	files, err := filepath.Glob("testdata/window/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, found := strings.Cut(string(data), "\n----\n")
			if !found {
				input = strings.TrimSuffix(string(data), "\n----")
			}
			var cmds []string
			for _, line := range strings.Split(input, "\n") {
				if i := strings.Index(line, "#"); i >= 0 {
					line = line[:i]
				}
				if line = strings.TrimSpace(line); line != "" {
					cmds = append(cmds, line)
				}
			}
			got := winRunTrace(t, cmds)
			if winUpdating() {
				if err := os.WriteFile(file, []byte(input+"\n----\n"+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("transcript differs (run with -update to accept)\n--- got\n%s--- want\n%s", got, want)
			}
		})
	}
}
