package cep

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// is matches events by their first letter: "b2" is a "b".
func is(letter string) func(string) bool {
	return func(v string) bool { return strings.HasPrefix(v, letter) }
}

// runNFA feeds the space-separated events (times 1, 2, ...) through p and
// returns the matches as "a1 b1" strings in emission order; timeouts are
// checked at every event time and once at time end.
func runNFA(t *testing.T, p *Pattern[string], events string, end int64) (matches, timeouts []string) {
	t.Helper()
	c, err := compile(p)
	if err != nil {
		t.Fatal(err)
	}
	m := newMachine(c)
	st := &nfaState[string]{}
	var out []Match[string]
	var tos []Timeout[string]
	for i, v := range strings.Fields(events) {
		ts := int64(i + 1)
		out, tos = m.advance(st, ts, out, tos)
		out = m.process(st, ts, v, out)
	}
	if end > 0 {
		out, tos = m.advance(st, end, out, tos)
	}
	for _, mt := range out {
		matches = append(matches, show(mt))
	}
	for _, to := range tos {
		timeouts = append(timeouts, show(to.Partial))
	}
	return matches, timeouts
}

func show(m Match[string]) string {
	var b []string
	for _, e := range m.Events {
		b = append(b, e.Value)
	}
	return strings.Join(b, " ")
}

func check(t *testing.T, name string, got, want []string, sorted bool) {
	t.Helper()
	if sorted {
		got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", name, got, want)
	}
}

// The Flink CEP documentation's contiguity example: pattern "a b" over
// a, c, b1, b2.
func TestContiguity(t *testing.T) {
	in := "a c b1 b2"
	got, _ := runNFA(t, Begin[string]("a").Where(is("a")).Next("b").Where(is("b")), in, 0)
	check(t, "strict", got, nil, false)
	got, _ = runNFA(t, Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")), in, 0)
	check(t, "relaxed", got, []string{"a b1"}, false)
	got, _ = runNFA(t, Begin[string]("a").Where(is("a")).FollowedByAny("b").Where(is("b")), in, 0)
	check(t, "non-deterministic", got, []string{"a b1", "a b2"}, false)
}

// The documentation's looping example: start c, middle a+ (consecutive,
// relaxed, allowCombinations), end1 b over C D A1 A2 A3 D A4 B.
func TestLoopContiguity(t *testing.T) {
	in := "c d a1 a2 a3 d a4 b"
	base := func() *Pattern[string] {
		return Begin[string]("start").Where(is("c")).FollowedBy("middle").Where(is("a")).OneOrMore()
	}
	got, _ := runNFA(t, base().Consecutive().FollowedBy("end1").Where(is("b")), in, 0)
	check(t, "consecutive", got, []string{"c a1 b", "c a1 a2 b", "c a1 a2 a3 b"}, true)
	got, _ = runNFA(t, base().FollowedBy("end1").Where(is("b")), in, 0)
	check(t, "relaxed", got, []string{"c a1 b", "c a1 a2 b", "c a1 a2 a3 b", "c a1 a2 a3 a4 b"}, true)
	got, _ = runNFA(t, base().AllowCombinations().FollowedBy("end1").Where(is("b")), in, 0)
	check(t, "combinations", got, []string{"c a1 b", "c a1 a2 b", "c a1 a3 b", "c a1 a4 b", "c a1 a2 a3 b",
		"c a1 a2 a4 b", "c a1 a3 a4 b", "c a1 a2 a3 a4 b"}, true)
}

// The documentation's skip strategy table for "b+ c" over b1 b2 b3 c.
func TestSkipStrategiesBPlusC(t *testing.T) {
	in := "b1 b2 b3 c"
	for _, tc := range []struct {
		skip Skip
		want []string
	}{
		{NoSkipStrategy(), []string{"b1 b2 b3 c", "b2 b3 c", "b3 c"}},
		{SkipToNextStrategy(), []string{"b1 b2 b3 c", "b2 b3 c", "b3 c"}},
		{SkipPastLastEventStrategy(), []string{"b1 b2 b3 c"}},
		{SkipToFirstStrategy("b"), []string{"b1 b2 b3 c", "b2 b3 c", "b3 c"}},
		{SkipToLastStrategy("b"), []string{"b1 b2 b3 c", "b3 c"}},
	} {
		p := BeginWithSkip[string]("b", tc.skip).Where(is("b")).OneOrMore().Next("c").Where(is("c"))
		got, _ := runNFA(t, p, in, 0)
		check(t, tc.skip.String(), got, tc.want, false)
	}
}

// The documentation's second skip example: (a | b | c) (b | c) c+.greedy d
// over a b c1 c2 c3 d.
func TestSkipToFirstGreedy(t *testing.T) {
	in := "a b c1 c2 c3 d"
	abc := func(v string) bool { return is("a")(v) || is("b")(v) || is("c")(v) }
	bc := func(v string) bool { return is("b")(v) || is("c")(v) }
	mk := func(s Skip) *Pattern[string] {
		return BeginWithSkip[string]("x", s).Where(abc).Next("y").Where(bc).
			Next("z").Where(is("c")).OneOrMore().Consecutive().Greedy().Next("d").Where(is("d"))
	}
	got, _ := runNFA(t, mk(NoSkipStrategy()), in, 0)
	check(t, "NO_SKIP", got, []string{"a b c1 c2 c3 d", "b c1 c2 c3 d", "c1 c2 c3 d"}, false)
	got, _ = runNFA(t, mk(SkipToFirstStrategy("z")), in, 0)
	check(t, "SKIP_TO_FIRST[z]", got, []string{"a b c1 c2 c3 d", "c1 c2 c3 d"}, false)
	got, _ = runNFA(t, mk(SkipToLastStrategy("z")), in, 0)
	check(t, "SKIP_TO_LAST[z]", got, []string{"a b c1 c2 c3 d"}, false)
}

// The documentation's SKIP_TO_NEXT example: a b+ over a b1 b2 b3.
func TestSkipToNext(t *testing.T) {
	in := "a b1 b2 b3"
	got, _ := runNFA(t, Begin[string]("a").Where(is("a")).Next("b").Where(is("b")).OneOrMore(), in, 0)
	check(t, "NO_SKIP", got, []string{"a b1", "a b1 b2", "a b1 b2 b3"}, false)
	got, _ = runNFA(t, BeginWithSkip[string]("a", SkipToNextStrategy()).Where(is("a")).Next("b").Where(is("b")).OneOrMore(), in, 0)
	check(t, "SKIP_TO_NEXT", got, []string{"a b1"}, false)
}

// Greedy against the default (reluctant) loop: a b* c where c's condition
// also matches some b's (the SQL documentation's A B* C example).
func TestGreedyReluctant(t *testing.T) {
	// price events: A > 10, B < 15, C > 12; input 10 11 12 13 14 16.
	type ev = string
	price := func(v ev) int {
		n := 0
		for _, ch := range v[1:] {
			n = n*10 + int(ch-'0')
		}
		return n
	}
	in := "p10 p11 p12 p13 p14 p16"
	mk := func(greedy bool) *Pattern[string] {
		p := BeginWithSkip[string]("A", SkipPastLastEventStrategy()).Where(func(v ev) bool { return price(v) > 10 }).
			Next("B").Where(func(v ev) bool { return price(v) < 15 }).OneOrMore().Optional().Consecutive()
		if greedy {
			p = p.Greedy()
		}
		return p.Next("C").Where(func(v ev) bool { return price(v) > 12 })
	}
	got, _ := runNFA(t, mk(true), in, 0)
	// The documentation's row (16); A=12 C=13 is no match: B* would take 13.
	check(t, "greedy", got, []string{"p11 p12 p13 p14 p16"}, false)
	got, _ = runNFA(t, mk(false), in, 0)
	// The documentation's row (13), then the match that starts after it.
	check(t, "reluctant", got, []string{"p11 p12 p13", "p14 p16"}, false)
}

func TestTimesOptionalUntil(t *testing.T) {
	got, _ := runNFA(t, Begin[string]("a").Where(is("a")).Times(2).Consecutive().Next("b").Where(is("b")), "a1 a2 a3 b", 0)
	check(t, "times(2)", got, []string{"a2 a3 b"}, false)
	got, _ = runNFA(t, Begin[string]("a").Where(is("a")).TimesRange(1, 2).FollowedBy("b").Where(is("b")), "a1 a2 x b", 0)
	check(t, "times(1,2)", got, []string{"a1 b", "a1 a2 b", "a2 b"}, true)
	got, _ = runNFA(t, Begin[string]("a").Where(is("a")).Next("o").Where(is("o")).Optional().Next("b").Where(is("b")), "a1 b1 a2 o b2", 0)
	check(t, "optional", got, []string{"a1 b1", "a2 o b2"}, false)
	got, _ = runNFA(t, Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")).OneOrMore().Until(is("x")).FollowedBy("c").Where(is("c")), "a b1 b2 x b3 c", 0)
	check(t, "until", got, []string{"a b1 c", "a b1 b2 c"}, true)
	got, _ = runNFA(t, Begin[string]("a").Where(is("a")).TimesOrMore(2).Consecutive(), "a1 a2 a3", 0)
	check(t, "timesOrMore(2)", got, []string{"a1 a2", "a1 a2 a3", "a2 a3"}, false)
}

func TestNegations(t *testing.T) {
	p := Begin[string]("a").Where(is("a")).NotNext("n").Where(is("n")).FollowedBy("b").Where(is("b"))
	got, _ := runNFA(t, p, "a1 n b1 a2 x b2", 0)
	check(t, "notNext", got, []string{"a2 b2"}, false)
	p = Begin[string]("a").Where(is("a")).NotFollowedBy("n").Where(is("n")).FollowedBy("b").Where(is("b"))
	got, _ = runNFA(t, p, "a1 x n b1 a2 x b2", 0)
	check(t, "notFollowedBy", got, []string{"a2 b2"}, false)
	p = Begin[string]("a").Where(is("a")).NotNext("n").Where(is("n"))
	got, _ = runNFA(t, p, "a1 n a2 x", 0)
	check(t, "trailing notNext", got, []string{"a2"}, false)
	p = Begin[string]("a").Where(is("a")).NotFollowedBy("n").Where(is("n")).Within(3 * time.Millisecond)
	got, tos := runNFA(t, p, "a1 x n a2 x x", 10)
	check(t, "trailing notFollowedBy", got, []string{"a2"}, false)
	check(t, "trailing notFollowedBy timeouts", tos, nil, false)
}

func TestWithinTimeouts(t *testing.T) {
	// within 3 ms: a at 1 may take b at 3 but not at 4 (Flink: timed out
	// when t - start >= window).
	p := Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")).Within(3 * time.Millisecond)
	got, tos := runNFA(t, p, "a1 x b1", 0)
	check(t, "inside", got, []string{"a1 b1"}, false)
	check(t, "inside timeouts", tos, nil, false)
	got, tos = runNFA(t, p, "a1 x x b1 a2", 100)
	check(t, "outside", got, nil, false)
	check(t, "outside timeouts", tos, []string{"a1", "a2"}, false)
	// A loop's partial match is held by the loop's run and by its copy
	// waiting for the next stage: reported once.
	p = Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")).OneOrMore().FollowedBy("c").Where(is("c")).Within(10 * time.Millisecond)
	_, tos = runNFA(t, p, "a1 b1 x b2", 100)
	check(t, "loop timeouts", tos, []string{"a1 b1 b2", "a1 b1"}, true)
}

func TestIterativeCondition(t *testing.T) {
	// b's must rise: each b's number above the previous b's (or the a's).
	num := func(v string) int { return int(v[len(v)-1] - '0') }
	p := Begin[string]("a").Where(is("a")).Next("b").WhereIter(func(v string, ctx *Context[string]) bool {
		if !is("b")(v) {
			return false
		}
		_, _, last := ctx.At(ctx.Len() - 1)
		return num(v) > num(last)
	}).OneOrMore().Consecutive()
	got, _ := runNFA(t, BeginWithSkip[string]("a", SkipPastLastEventStrategy()).Where(is("a")).Next("b").WhereIter(p.stages[1].cond).OneOrMore().Consecutive().Next("e").Where(is("e")), "a1 b2 b3 b1 e a2 b3 b4 e", 0)
	check(t, "rising", got, []string{"a2 b3 b4 e"}, false)
}

func TestPatternErrors(t *testing.T) {
	for name, p := range map[string]*Pattern[string]{
		"twice":       Begin[string]("a").OneOrMore().Times(2),
		"dup":         Begin[string]("a").Next("a"),
		"greedy":      Begin[string]("a").Greedy(),
		"until":       Begin[string]("a").Times(2).Until(is("x")),
		"nfb-last":    Begin[string]("a").NotFollowedBy("n"),
		"neg-loop":    Begin[string]("a").NotNext("n").OneOrMore(),
		"skip-stage":  BeginWithSkip[string]("a", SkipToLastStrategy("zz")),
		"all-opt":     Begin[string]("a").Optional(),
		"consecutive": Begin[string]("a").Consecutive(),
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// SKIP_TO_NEXT discards the partial matches that started at or before the
// match's first event (Flink's SkipToNextStrategy prunes start <= the
// match's first event, as SKIP_PAST_LAST_EVENT prunes start <= its last):
// a partial match older than the match goes too. x1 waits for e1, x2 for
// e2; e2 completes x2's match first.
func TestSkipToNextPrunesOlder(t *testing.T) {
	same := func(v string, ctx *Context[string]) bool {
		_, _, x := ctx.At(0)
		return is("e")(v) && v[1:] == x[1:]
	}
	mk := func(s Skip) *Pattern[string] {
		return BeginWithSkip[string]("x", s).Where(is("x")).FollowedBy("e").WhereIter(same)
	}
	got, _ := runNFA(t, mk(NoSkipStrategy()), "x1 x2 e2 e1", 0)
	check(t, "NO_SKIP", got, []string{"x2 e2", "x1 e1"}, false)
	got, _ = runNFA(t, mk(SkipToNextStrategy()), "x1 x2 e2 e1", 0)
	check(t, "SKIP_TO_NEXT", got, []string{"x2 e2"}, false)
	got, _ = runNFA(t, mk(SkipPastLastEventStrategy()), "x1 x2 e2 e1", 0)
	check(t, "SKIP_PAST_LAST_EVENT", got, []string{"x2 e2"}, false)
}

// Timeouts of a loop follow Flink's computation states: right after a take
// the loop's partial match is one state (the step to the next stage is a
// proceed edge, not a state), so it times out once; once an event was
// ignored by both, Flink holds two states with the same events (the loop's
// and the next stage's, made by IGNORE after PROCEED) and times out both.
func TestLoopTimeoutsAsFlinkStates(t *testing.T) {
	p := Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")).OneOrMore().FollowedBy("c").Where(is("c")).Within(10 * time.Millisecond)
	_, tos := runNFA(t, p, "a1 b1", 100)
	check(t, "after the take", tos, []string{"a1 b1"}, false)
	_, tos = runNFA(t, p, "a1 b1 x", 100)
	check(t, "after an ignored event", tos, []string{"a1 b1", "a1 b1"}, false)
	// An optional stage skipped: the state after it is not one of Flink's
	// until an event passed.
	q := Begin[string]("a").Where(is("a")).FollowedBy("o").Where(is("o")).Optional().FollowedBy("c").Where(is("c")).Within(10 * time.Millisecond)
	_, tos = runNFA(t, q, "a1", 100)
	check(t, "optional after the take", tos, []string{"a1"}, false)
	_, tos = runNFA(t, q, "a1 x", 100)
	check(t, "optional after an ignored event", tos, []string{"a1", "a1"}, false)
}

// A negation's condition sees its own stage's name in Context.Stage, as
// every other condition does.
func TestNegationConditionStage(t *testing.T) {
	var seen []string
	named := func(v string, ctx *Context[string]) bool {
		seen = append(seen, ctx.Stage())
		return is("n")(v)
	}
	p := Begin[string]("a").Where(is("a")).NotNext("nn").WhereIter(named).FollowedBy("b").Where(is("b")).
		NotFollowedBy("nf").WhereIter(named).Within(10 * time.Millisecond)
	runNFA(t, p, "a1 x b1 y", 100)
	if len(seen) == 0 {
		t.Fatal("the negations' conditions never ran")
	}
	for _, s := range seen {
		if s != "nn" && s != "nf" {
			t.Fatalf("a negation's condition saw stage %q (all: %q)", s, seen)
		}
	}
	if !slices.Contains(seen, "nn") || !slices.Contains(seen, "nf") {
		t.Fatalf("stages seen %q, want both nn and nf", seen)
	}
}

// Until also keeps the loop's first event out (Flink extends the take
// condition of every state of the loop, its first included, with NOT
// until); the ignore edge into the loop is the stage's own: relaxed drops
// the run on an event the loop's condition accepts, any-contiguity keeps it.
func TestUntilFirstEvent(t *testing.T) {
	until := func(v string) bool { return v == "bx" }
	got, _ := runNFA(t, Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")).OneOrMore().Until(until).
		FollowedBy("c").Where(is("c")), "a bx b1 c", 0)
	check(t, "relaxed", got, nil, false)
	got, _ = runNFA(t, Begin[string]("a").Where(is("a")).FollowedByAny("b").Where(is("b")).OneOrMore().Until(until).
		FollowedBy("c").Where(is("c")), "a bx b1 c", 0)
	check(t, "non-deterministic", got, []string{"a b1 c"}, false)
	got, _ = runNFA(t, Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")).OneOrMore().Until(until).
		FollowedBy("c").Where(is("c")), "a x b1 bx c", 0)
	check(t, "after the first", got, []string{"a b1 c"}, false)
}

// A greedy loop's condition guards the stage after it also when the loop
// reached its maximum (Flink adds NOT the loop's take condition to every
// transition of the state after the loop, whichever way it was reached).
func TestGreedyAtMaximum(t *testing.T) {
	c := func(v string) bool { return v == "bc" || is("c")(v) }
	p := Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")).TimesRange(1, 2).Greedy().FollowedBy("c").Where(c)
	got, _ := runNFA(t, p, "a b1 b2 bc", 0)
	check(t, "greedy b{1,2} then bc", got, nil, false)
	got, _ = runNFA(t, p, "a b1 b2 c1", 0)
	check(t, "greedy b{1,2} then c1", got, []string{"a b1 b2 c1"}, false)
}

// Within on several stages: the smallest window holds (Flink's window time
// is the minimum over the pattern's stages); on one stage the last call.
func TestWithinSmallestOfStages(t *testing.T) {
	p := Begin[string]("a").Where(is("a")).Within(3 * time.Millisecond).FollowedBy("b").Where(is("b")).Within(10 * time.Millisecond)
	got, tos := runNFA(t, p, "a1 x x b1", 100)
	check(t, "matches", got, nil, false)
	check(t, "timeouts", tos, []string{"a1"}, false)
	q := Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")).Within(3 * time.Millisecond).Within(10 * time.Millisecond)
	got, _ = runNFA(t, q, "a1 x x b1", 100)
	check(t, "same stage", got, []string{"a1 b1"}, false)
}

// A trailing NotFollowedBy after a loop: the window closing right after a
// take finds the loop's state only (Flink reaches the pending final state
// through the loop's proceed edge at the next event): a timeout, no match.
// After one more event that is not the negated one it is a match.
func TestTrailingNotFollowedByAfterLoop(t *testing.T) {
	p := Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")).OneOrMore().
		NotFollowedBy("n").Where(is("n")).Within(10 * time.Millisecond)
	got, tos := runNFA(t, p, "a1 b1", 100)
	check(t, "no event after b1: matches", got, nil, false)
	check(t, "no event after b1: timeouts", tos, []string{"a1 b1"}, false)
	got, _ = runNFA(t, p, "a1 b1 x", 100)
	check(t, "x after b1: matches", got, []string{"a1 b1"}, false)
	q := Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")).Optional().
		NotFollowedBy("n").Where(is("n")).Within(10 * time.Millisecond)
	got, tos = runNFA(t, q, "a1", 100)
	check(t, "optional, nothing after a1: matches", got, nil, false)
	check(t, "optional, nothing after a1: timeouts", tos, []string{"a1"}, false)
}
