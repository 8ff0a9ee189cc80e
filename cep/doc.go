// Package cep detects patterns in keyed streams (complex event processing),
// as Flink's flink-cep does over Flink's DataStream API, and is what SQL's
// MATCH_RECOGNIZE runs on.
//
// A Pattern is a sequence of named stages, each with a condition (simple,
// or iterative: it sees the partial match), a contiguity to the stage
// before it (Next strict, FollowedBy relaxed, FollowedByAny
// non-deterministic relaxed), a quantifier (Times, TimesRange, OneOrMore,
// TimesOrMore, Optional; Greedy; Consecutive or AllowCombinations inside a
// loop; Until), negations (NotNext, NotFollowedBy), a window (Within) and
// an after-match skip strategy (NoSkip, SkipToNext, SkipPastLastEvent,
// SkipToFirst, SkipToLast):
//
//	p := cep.BeginWithSkip[Tick]("down", cep.SkipPastLastEventStrategy()).
//		Where(func(t Tick) bool { return t.Delta < 0 }).OneOrMore().Consecutive().
//		Next("up").Where(func(t Tick) bool { return t.Delta > 0 }).
//		Within(time.Minute)
//	ps, err := cep.Detect(stream.KeyBy(ticks, Tick.Symbol), p)
//	alerts := cep.Select(ps, func(m cep.Match[Tick]) Alert { ... })
//	timeouts := stream.SideOutput(alerts, cep.TimeoutTag[Tick]())
//
// The pattern compiles to an NFA whose partial matches ("runs") advance one
// event at a time (nfa.go). The semantics are Flink's: looping stages take
// events non-greedily unless Greedy, and emit a match for every way they
// can complete; matches completed by the same event are emitted oldest
// start first and the skip strategy prunes partial matches after each.
// Where this package departs from Flink it says so on the method.
//
// Detect runs the pattern as a keyed process function. Events are processed
// in event-time order, as Flink's CEP operator does: each is buffered in
// keyed state under its timestamp with an event-time timer there, and is
// fed to the NFA when the watermark passes it (events of one timestamp in
// arrival order). Events at or behind the watermark on arrival are late:
// counted and sent to LateTag's side output. Partial matches live in keyed
// state in a versioned, checksummed layout (state.go), so checkpoints,
// savepoints and rescaling keep them; Within's timeouts are event-time
// timers, and timed-out partial matches go to TimeoutTag's side output.
// Records need event time: Detect has no processing-time mode.
package cep
