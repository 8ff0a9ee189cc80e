package stream_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/stream"
)

// bcRule is a broadcast rule: records of a key whose value reaches Min match.
type bcRule struct {
	Name string
	Min  int
}

var bcRulesDesc = stream.NewBroadcastStateDescriptor[string, bcRule]("rules")

// bcRuleMatcher buffers keyed records until the end of input (an event-time
// timer that fires on the final watermark, after every rule arrived), then
// matches them against the broadcast rules it can only read. Broadcast
// elements update the rules and emit a marker, to show that every subtask
// receives every rule.
func bcRuleMatcher() stream.KeyedBroadcastProcessFunction[int, jev, bcRule, string] {
	var pending *stream.ListState[jev]
	return stream.KeyedBroadcastProcessFuncs[int, jev, bcRule, string]{
		OnOpen: func(ctx *stream.OpenContext) error {
			pending = stream.NewListState[jev](ctx, "pending")
			return nil
		},
		OnElement: func(ctx *stream.ReadOnlyBroadcastContext[int], e jev, out stream.Emitter[string]) error {
			pending.Add(e)
			ctx.RegisterEventTimeTimer(0)
			return nil
		},
		OnBroadcast: func(ctx *stream.BroadcastContext, r bcRule, out stream.Emitter[string]) error {
			bcRulesDesc.Get(ctx).Put(r.Name, r)
			out.Emit("rule " + r.Name)
			return nil
		},
		OnTimerFn: func(ctx *stream.ReadOnlyBroadcastContext[int], _ int64, out stream.Emitter[string]) error {
			rules := bcRulesDesc.ReadOnly(ctx)
			for _, e := range pending.Get() {
				rules.Range(func(name string, r bcRule) bool {
					if e.V%100 >= r.Min {
						out.Emit(fmt.Sprintf("%d %d %s", ctx.Key(), e.V, name))
					}
					return true
				})
			}
			pending.Clear()
			return nil
		},
	}
}

func TestKeyedBroadcastEquivalence(t *testing.T) {
	data := genJoinEvents(9, 2000, 23)
	rules := []bcRule{{"a", 90}, {"b", 50}, {"c", 99}, {"a", 95}, {"d", 0}, {"d", 98}}
	final := map[string]bcRule{}
	for _, r := range rules {
		final[r.Name] = r
	}
	var want []string
	for _, e := range data {
		for name, r := range final {
			if e.V%100 >= r.Min {
				want = append(want, fmt.Sprintf("%d %d %s", e.K, e.V, name))
			}
		}
	}
	slices.Sort(want)
	for _, p := range joinParallelisms {
		env := stream.NewEnvironment(stream.Options{Parallelism: p})
		keyed := stream.KeyBy(stream.FromSlice(env, data), jevKey)
		rs := stream.FromSlice(env, rules).SetParallelism(1)
		out := stream.Collect(stream.KeyedBroadcastProcess(stream.ConnectBroadcast(keyed, rs),
			func() stream.KeyedBroadcastProcessFunction[int, jev, bcRule, string] { return bcRuleMatcher() }))
		joinExecute(t, env)
		var matches []string
		markers := 0
		for _, v := range out.Values() {
			if strings.HasPrefix(v, "rule ") {
				markers++
				continue
			}
			matches = append(matches, v)
		}
		if markers != p*len(rules) {
			t.Fatalf("p=%d: %d rule markers, want %d (every subtask sees every rule)", p, markers, p*len(rules))
		}
		joinDiff(t, fmt.Sprintf("p=%d", p), joinSortedLines(matches), want)
		plan, err := env.Plan()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, "<-BROADCAST-") {
			t.Fatalf("p=%d: no broadcast edge in\n%s", p, plan)
		}
	}
}
