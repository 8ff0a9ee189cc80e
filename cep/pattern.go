package cep

import (
	"errors"
	"fmt"
	"hash/fnv"
	"time"
)

// Contiguity says which events may come between two events of a match.
type Contiguity uint8

const (
	// Strict: the next event must match (Flink's next(), consecutive()).
	Strict Contiguity = iota
	// Relaxed: non-matching events are skipped until the next matching one,
	// which is taken (Flink's followedBy(), the default inside loops).
	Relaxed
	// NonDeterministic: any later matching event may be taken; every choice
	// is a partial match of its own (Flink's followedByAny(),
	// allowCombinations()).
	NonDeterministic
)

func (c Contiguity) String() string {
	switch c {
	case Strict:
		return "strict"
	case Relaxed:
		return "relaxed"
	}
	return "non-deterministic"
}

// Condition decides whether an event is taken into a stage. ctx gives the
// events of the partial match so far (Flink's iterative condition); simple
// conditions ignore it.
type Condition[T any] func(v T, ctx *Context[T]) bool

// SkipKind is an after-match skip strategy.
type SkipKind uint8

const (
	// NoSkip emits every match; partial matches are kept.
	NoSkip SkipKind = iota
	// SkipToNext discards the partial matches that started with the same
	// event as the match or before it (Flink's SkipToNextStrategy).
	SkipToNext
	// SkipPastLastEvent discards the partial matches that started before
	// or at the last event of the match.
	SkipPastLastEvent
	// SkipToFirst discards the partial matches that started before the
	// first event of the named stage in the match.
	SkipToFirst
	// SkipToLast discards the partial matches that started before the last
	// event of the named stage in the match.
	SkipToLast
)

// Skip is an after-match skip strategy (Flink's AfterMatchSkipStrategy).
type Skip struct {
	Kind  SkipKind
	Stage string // SkipToFirst, SkipToLast
}

// NoSkipStrategy, SkipToNextStrategy ... build Skip values.
func NoSkipStrategy() Skip                  { return Skip{Kind: NoSkip} }
func SkipToNextStrategy() Skip              { return Skip{Kind: SkipToNext} }
func SkipPastLastEventStrategy() Skip       { return Skip{Kind: SkipPastLastEvent} }
func SkipToFirstStrategy(stage string) Skip { return Skip{Kind: SkipToFirst, Stage: stage} }
func SkipToLastStrategy(stage string) Skip  { return Skip{Kind: SkipToLast, Stage: stage} }

func (s Skip) String() string {
	switch s.Kind {
	case NoSkip:
		return "NO_SKIP"
	case SkipToNext:
		return "SKIP_TO_NEXT"
	case SkipPastLastEvent:
		return "SKIP_PAST_LAST_EVENT"
	case SkipToFirst:
		return "SKIP_TO_FIRST[" + s.Stage + "]"
	}
	return "SKIP_TO_LAST[" + s.Stage + "]"
}

// stageKind tells positive stages from the two negations.
type stageKind uint8

const (
	positive stageKind = iota
	notNext
	notFollowedBy
)

// stage is one named element of a pattern as the builder collects it.
type stage[T any] struct {
	name     string
	kind     stageKind
	within   int64 // milliseconds, 0: none (Within called on this stage)
	cond     Condition[T]
	until    Condition[T]
	min, max int        // max -1: unbounded
	into     Contiguity // to the previous stage
	inner    Contiguity // between the events of a looping stage
	greedy   bool
	looping  bool // Times/OneOrMore/TimesOrMore called
	optional bool
	innerSet bool
}

// Pattern is a sequence of named stages, built fluently as in Flink:
//
//	p := cep.Begin[Event]("a").Where(isA).
//		Next("b").Where(isB).OneOrMore().Consecutive().
//		FollowedBy("c").Where(isC).
//		Within(10 * time.Second)
//
// Methods other than Begin/Next/FollowedBy/... apply to the last stage.
// Mistakes (a quantifier twice, an unknown skip stage ...) are collected and
// reported by Detect (or Validate).
type Pattern[T any] struct {
	stages []*stage[T]
	within int64 // milliseconds, 0: none
	skip   Skip
	errs   []error
}

// Begin starts a pattern with the stage name, skip strategy NO_SKIP.
func Begin[T any](name string) *Pattern[T] {
	return BeginWithSkip[T](name, NoSkipStrategy())
}

// BeginWithSkip starts a pattern with an after-match skip strategy.
func BeginWithSkip[T any](name string, skip Skip) *Pattern[T] {
	p := &Pattern[T]{skip: skip}
	p.add(name, positive, Strict)
	return p
}

func (p *Pattern[T]) add(name string, kind stageKind, c Contiguity) *Pattern[T] {
	p.stages = append(p.stages, &stage[T]{name: name, kind: kind, min: 1, max: 1, into: c, inner: Relaxed})
	return p
}

func (p *Pattern[T]) last() *stage[T] { return p.stages[len(p.stages)-1] }

func (p *Pattern[T]) errorf(format string, args ...any) *Pattern[T] {
	p.errs = append(p.errs, fmt.Errorf("cep: stage %q: "+format, append([]any{p.last().name}, args...)...))
	return p
}

// Next appends a stage with strict contiguity.
func (p *Pattern[T]) Next(name string) *Pattern[T] { return p.add(name, positive, Strict) }

// FollowedBy appends a stage with relaxed contiguity.
func (p *Pattern[T]) FollowedBy(name string) *Pattern[T] { return p.add(name, positive, Relaxed) }

// FollowedByAny appends a stage with non-deterministic relaxed contiguity.
func (p *Pattern[T]) FollowedByAny(name string) *Pattern[T] {
	return p.add(name, positive, NonDeterministic)
}

// NotNext appends a negative stage: the event right after the previous
// stage must not match its condition.
func (p *Pattern[T]) NotNext(name string) *Pattern[T] { return p.add(name, notNext, Strict) }

// NotFollowedBy appends a negative stage: no event between the previous and
// the next stage may match its condition. As the last stage it needs Within:
// the match is emitted when the window closes without such an event.
func (p *Pattern[T]) NotFollowedBy(name string) *Pattern[T] {
	return p.add(name, notFollowedBy, Relaxed)
}

// Where adds a condition on the last stage (AND with earlier ones).
func (p *Pattern[T]) Where(f func(v T) bool) *Pattern[T] {
	return p.WhereIter(func(v T, _ *Context[T]) bool { return f(v) })
}

// WhereIter adds an iterative condition, which sees the partial match.
func (p *Pattern[T]) WhereIter(f Condition[T]) *Pattern[T] {
	s := p.last()
	if prev := s.cond; prev != nil {
		s.cond = func(v T, ctx *Context[T]) bool { return prev(v, ctx) && f(v, ctx) }
	} else {
		s.cond = f
	}
	return p
}

// Or adds an alternative condition to the last stage (OR with the ones
// before).
func (p *Pattern[T]) Or(f func(v T) bool) *Pattern[T] {
	s := p.last()
	if prev := s.cond; prev != nil {
		s.cond = func(v T, ctx *Context[T]) bool { return prev(v, ctx) || f(v) }
	} else {
		s.cond = func(v T, _ *Context[T]) bool { return f(v) }
	}
	return p
}

func (p *Pattern[T]) quantify(min, max int) *Pattern[T] {
	s := p.last()
	switch {
	case s.kind != positive:
		return p.errorf("a negative stage cannot be quantified")
	case s.looping:
		return p.errorf("already quantified")
	case min < 0 || max != -1 && (max < min || max < 1):
		return p.errorf("bad quantifier {%d,%d}", min, max)
	}
	s.looping = true
	s.min, s.max = min, max
	if s.optional {
		s.min = 0
	}
	return p
}

// Times makes the last stage take exactly n events.
func (p *Pattern[T]) Times(n int) *Pattern[T] {
	if n < 1 {
		return p.errorf("Times(%d): the count must be at least 1", n)
	}
	return p.quantify(n, n)
}

// TimesRange makes the last stage take from min to max events.
func (p *Pattern[T]) TimesRange(min, max int) *Pattern[T] {
	if min < 1 {
		return p.errorf("TimesRange(%d, %d): the minimum must be at least 1 (use Optional)", min, max)
	}
	return p.quantify(min, max)
}

// OneOrMore makes the last stage take one or more events.
func (p *Pattern[T]) OneOrMore() *Pattern[T] { return p.quantify(1, -1) }

// TimesOrMore makes the last stage take n or more events.
func (p *Pattern[T]) TimesOrMore(n int) *Pattern[T] {
	if n < 1 {
		return p.errorf("TimesOrMore(%d): the count must be at least 1", n)
	}
	return p.quantify(n, -1)
}

// Optional lets the last stage take no event at all.
func (p *Pattern[T]) Optional() *Pattern[T] {
	s := p.last()
	if s.kind != positive {
		return p.errorf("a negative stage cannot be optional")
	}
	s.optional = true
	s.min = 0
	return p
}

// Greedy makes a looping stage take as many events as it can: while an
// event matches the loop, the next stage does not take it.
func (p *Pattern[T]) Greedy() *Pattern[T] {
	s := p.last()
	if !s.looping || s.max == s.min {
		return p.errorf("Greedy applies to a looping stage (OneOrMore, TimesOrMore, TimesRange)")
	}
	s.greedy = true
	return p
}

// Consecutive makes the events of a looping stage strictly contiguous.
func (p *Pattern[T]) Consecutive() *Pattern[T] { return p.innerContiguity(Strict, "Consecutive") }

// AllowCombinations makes the events of a looping stage non-deterministic
// relaxed contiguous.
func (p *Pattern[T]) AllowCombinations() *Pattern[T] {
	return p.innerContiguity(NonDeterministic, "AllowCombinations")
}

func (p *Pattern[T]) innerContiguity(c Contiguity, what string) *Pattern[T] {
	s := p.last()
	if !s.looping {
		return p.errorf("%s applies to a looping stage", what)
	}
	if s.innerSet {
		return p.errorf("the contiguity of the loop is already set")
	}
	s.inner, s.innerSet = c, true
	return p
}

// Until stops a looping stage at the first event matching f: that event
// and later ones are no longer taken into it. An event matching f is not
// taken as the loop's first event either (as Flink).
func (p *Pattern[T]) Until(f func(v T) bool) *Pattern[T] {
	return p.UntilIter(func(v T, _ *Context[T]) bool { return f(v) })
}

// UntilIter is Until with an iterative condition.
func (p *Pattern[T]) UntilIter(f Condition[T]) *Pattern[T] {
	s := p.last()
	if !s.looping || s.max != -1 {
		return p.errorf("Until applies to an unbounded looping stage (OneOrMore, TimesOrMore)")
	}
	s.until = f
	return p
}

// Within bounds a match: its last event is less than d after its first.
// Partial matches older than that are timed out (Detect's Timeouts). Called
// on several stages, the smallest window holds (as Flink).
func (p *Pattern[T]) Within(d time.Duration) *Pattern[T] {
	if d <= 0 {
		p.errs = append(p.errs, fmt.Errorf("cep: Within(%v): the window must be positive", d))
		return p
	}
	ms := max(d.Milliseconds(), 1)
	p.last().within = ms
	// The pattern's window is the smallest of its stages' (as Flink); on
	// one stage the last call holds.
	p.within = 0
	for _, s := range p.stages {
		if s.within > 0 && (p.within == 0 || s.within < p.within) {
			p.within = s.within
		}
	}
	return p
}

// WithSkip sets the after-match skip strategy.
func (p *Pattern[T]) WithSkip(s Skip) *Pattern[T] { p.skip = s; return p }

// Validate reports the pattern's mistakes.
func (p *Pattern[T]) Validate() error {
	_, err := compile(p)
	return err
}

// compiled is the NFA of a pattern: its positive stages in order, with the
// negations folded into guards of the stage after them (or of the final
// state).
type compiled[T any] struct {
	stages    []cstage[T]
	names     []string // of the positive stages, by index
	final     guards[T]
	within    int64
	skip      Skip
	fingerpr  uint64
	waitFinal bool // the final state waits for the window (trailing notFollowedBy)
}

type guards[T any] struct {
	notNext       []Condition[T] // only the first event after arrival
	notFollowedBy []Condition[T] // every event while waiting
}

func (g *guards[T]) empty() bool { return len(g.notNext) == 0 && len(g.notFollowedBy) == 0 }

type cstage[T any] struct {
	name     string
	cond     Condition[T]
	until    Condition[T]
	min, max int
	into     Contiguity
	inner    Contiguity
	greedy   bool
	guards   guards[T]
}

func compile[T any](p *Pattern[T]) (*compiled[T], error) {
	if p == nil || len(p.stages) == 0 {
		return nil, errors.New("cep: empty pattern")
	}
	errs := append([]error(nil), p.errs...)
	c := &compiled[T]{within: p.within, skip: p.skip}
	seen := map[string]bool{}
	var pending guards[T]
	h := fnv.New64a()
	for i, s := range p.stages {
		if seen[s.name] {
			errs = append(errs, fmt.Errorf("cep: stage name %q used twice", s.name))
		}
		seen[s.name] = true
		fmt.Fprintf(h, "%d|%s|%d|%d|%d|%d|%d|%t;", s.kind, s.name, s.min, s.max, s.into, s.inner, boolInt(s.until != nil), s.greedy)
		cond := s.cond
		if cond == nil {
			cond = func(T, *Context[T]) bool { return true }
		}
		switch s.kind {
		case notNext:
			if i == 0 {
				errs = append(errs, fmt.Errorf("cep: a pattern cannot begin with a negative stage (%q)", s.name))
			}
			if len(pending.notFollowedBy) > 0 {
				errs = append(errs, fmt.Errorf("cep: stage %q: NotNext cannot follow NotFollowedBy", s.name))
			}
			pending.notNext = append(pending.notNext, negated(s.name, cond))
			continue
		case notFollowedBy:
			if i == 0 {
				errs = append(errs, fmt.Errorf("cep: a pattern cannot begin with a negative stage (%q)", s.name))
			}
			pending.notFollowedBy = append(pending.notFollowedBy, negated(s.name, cond))
			continue
		}
		if !pending.empty() && s.min == 0 {
			errs = append(errs, fmt.Errorf("cep: stage %q after a negative stage cannot be optional", s.name))
		}
		c.stages = append(c.stages, cstage[T]{name: s.name, cond: cond, until: s.until, min: s.min, max: s.max,
			into: s.into, inner: s.inner, greedy: s.greedy, guards: pending})
		c.names = append(c.names, s.name)
		pending = guards[T]{}
	}
	if !pending.empty() {
		if len(pending.notFollowedBy) > 0 {
			if p.within == 0 {
				errs = append(errs, errors.New("cep: NotFollowedBy as the last stage needs Within"))
			}
			c.waitFinal = true
		}
		c.final = pending
	}
	allOptional := true
	for _, s := range c.stages {
		if s.min > 0 {
			allOptional = false
		}
	}
	if allOptional {
		errs = append(errs, errors.New("cep: every stage is optional: the pattern would match nothing"))
	}
	if k := p.skip.Kind; k == SkipToFirst || k == SkipToLast {
		if !seen[p.skip.Stage] {
			errs = append(errs, fmt.Errorf("cep: skip strategy %s names no stage of the pattern", p.skip))
		}
	}
	fmt.Fprintf(h, "w%d", p.within)
	c.fingerpr = h.Sum64()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// negated wraps the condition of a negative stage so that Context.Stage
// names that stage while it runs (its run is at the positive stage after
// it).
func negated[T any](name string, f Condition[T]) Condition[T] {
	return func(v T, ctx *Context[T]) bool {
		ctx.neg = name
		ok := f(v, ctx)
		ctx.neg = ""
		return ok
	}
}
