package streamtest_test

import (
	"testing"
	"time"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

// TestTimersTrace replays testdata/timers.trace: event-time timers that hold
// per-key sums, lateness to a side output, processing-time timers.
func TestTimersTrace(t *testing.T) {
	h, err := streamtest.New(func(in stream.Stream[reading]) stream.Stream[string] {
		out := stream.KeyedProcess(stream.KeyBy(in, func(r reading) string { return r.Sensor }), alertFn)
		late := stream.Map(stream.SideOutput(out, lateTag), func(r reading) string { return "late " + r.Sensor })
		return out.Union(late)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	streamtest.RunTrace(t, "testdata/timers.trace", h)
}

type cmd struct {
	Key string `json:"k"`
	Op  string `json:"op"`
	V   int    `json:"v"`
}

// ttlFn keeps a value per key with a TTL of one second (refreshed on write
// only) and answers "get" commands.
func ttlFn() stream.KeyedProcessFunction[string, cmd, string] {
	var v *stream.ValueState[int]
	var l *stream.ListState[int]
	var m *stream.MapState[string, int]
	return stream.KeyedProcessFuncs[string, cmd, string]{
		OnOpen: func(ctx *stream.OpenContext) error {
			ttl := stream.WithTTL(stream.TTL{TTL: time.Second})
			v = stream.NewValueState[int](ctx, "v", ttl)
			l = stream.NewListState[int](ctx, "l", ttl)
			m = stream.NewMapState[string, int](ctx, "m", ttl)
			return nil
		},
		OnElement: func(ctx *stream.KeyedContext[string], c cmd, out stream.Emitter[string]) error {
			switch c.Op {
			case "set":
				v.Set(c.V)
				l.Add(c.V)
				m.Put(c.Key+"-"+string(rune('0'+c.V%10)), c.V)
			case "get":
				x, ok := v.Get()
				if !ok {
					out.Emit(ctx.Key() + " value absent")
				} else {
					out.Emit(ctx.Key() + " value " + itoa(x))
				}
				out.Emit(ctx.Key() + " list " + itoa(len(l.Get())) + " map " + itoa(m.Len()))
			}
			return nil
		},
	}
}

func itoa(i int) string {
	if i < 10 && i >= 0 {
		return string(rune('0' + i))
	}
	return stringsItoa(i)
}

func TestTTLTrace(t *testing.T) {
	h, err := streamtest.New(func(in stream.Stream[cmd]) stream.Stream[string] {
		return stream.KeyedProcess(stream.KeyBy(in, func(c cmd) string { return c.Key }), ttlFn)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	streamtest.RunTrace(t, "testdata/ttl.trace", h)
}
