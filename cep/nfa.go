package cep

import "slices"

// Event is one event of a match with the stage that took it.
type Event[T any] struct {
	Stage string
	Time  int64 // event time
	Value T
}

// Match is a complete match: its events in the order they were taken.
type Match[T any] struct {
	Events []Event[T]
}

// Get returns the events the stage took, in order (nil if none).
func (m Match[T]) Get(stage string) []T {
	var out []T
	for _, e := range m.Events {
		if e.Stage == stage {
			out = append(out, e.Value)
		}
	}
	return out
}

// Timeout is a partial match that Within timed out, with the time it timed
// out at (its first event's time + the window).
type Timeout[T any] struct {
	Partial Match[T]
	Time    int64
}

// Context is what an iterative condition sees: the partial match so far
// (without the event under test) and the event's time.
type Context[T any] struct {
	names []string
	steps []step[T]
	ts    int64
	stage int
	neg   string // the negative stage whose condition runs, if one does
}

// Len is the number of events in the partial match.
func (c *Context[T]) Len() int { return len(c.steps) }

// At returns the i-th event of the partial match and its stage.
func (c *Context[T]) At(i int) (stage string, ts int64, v T) {
	s := c.steps[i]
	return c.names[s.stage], s.ts, s.v
}

// Events returns the values the named stage took so far, in order.
func (c *Context[T]) Events(stage string) []T {
	var out []T
	for _, s := range c.steps {
		if c.names[s.stage] == stage {
			out = append(out, s.v)
		}
	}
	return out
}

// Stage is the name of the stage whose condition is evaluated.
func (c *Context[T]) Stage() string {
	if c.neg != "" {
		return c.neg
	}
	return c.names[c.stage]
}

// Timestamp is the event time of the event under test.
func (c *Context[T]) Timestamp() int64 { return c.ts }

// step is one event of a partial match.
type step[T any] struct {
	stage int
	seq   uint64 // the event's sequence number within its key
	ts    int64
	v     T
}

// run is a partial match (Flink's computation state): the next event may be
// taken into stage (count events taken there so far); stage ==
// len(stages) is the final state of a pattern ending in a negation.
type run[T any] struct {
	stage      int
	count      int
	fresh      bool // no event seen since it arrived at (stage, 0)
	greedyFrom int  // -1, or the greedy loop stage it proceeded from
	steps      []step[T]
}

func (r *run[T]) startSeq() uint64 { return r.steps[0].seq }

// nfaState is the state of one key: its partial matches and the sequence
// number of its next event.
type nfaState[T any] struct {
	nextSeq uint64
	runs    []run[T]
}

// machine runs a compiled pattern; one per subtask (it owns scratch).
type machine[T any] struct {
	c      *compiled[T]
	ctx    Context[T]
	starts []run[T]
	next   []run[T]
	done   []run[T]
	// timedOut: the runs timed out by the current advance.
	timedOut []run[T]
	// arena: the chunk the steps of new runs are cut from (a take copies
	// its run's steps, never appends in place). resetArena reuses it once
	// nothing refers to it (the operator: at the start of each timer, the
	// runs of the previous one being encoded and its matches copied).
	arena []step[T]
}

const arenaChunk = 1024

// alloc returns n steps of the arena (length and capacity n).
func (m *machine[T]) alloc(n int) []step[T] {
	if n > arenaChunk/4 {
		return make([]step[T], n)
	}
	if len(m.arena)+n > cap(m.arena) {
		m.arena = make([]step[T], 0, arenaChunk)
	}
	at := len(m.arena)
	m.arena = m.arena[:at+n]
	return m.arena[at : at+n : at+n]
}

// resetArena lets alloc reuse the current chunk: only when no run, match or
// state refers to its steps any more.
func (m *machine[T]) resetArena() {
	clear(m.arena)
	m.arena = m.arena[:0]
}

// proceedCopy reports whether r, timed out, is a copy made by proceed that
// is no computation state of Flink's: fresh (no event since it arrived at
// its stage) with the events of a run at an earlier stage (the loop or the
// optional stage it proceeded from). Flink follows a proceed edge only at
// the next event, and then keeps a state there only when the event was
// ignored (IGNORE after PROCEED): such a copy, no longer fresh, is one of
// Flink's states and times out as its own partial match.
func (m *machine[T]) proceedCopy(r *run[T]) bool {
	if !r.fresh || r.count != 0 {
		return false
	}
	for i := range m.timedOut {
		o := &m.timedOut[i]
		if o.stage >= r.stage || len(o.steps) != len(r.steps) {
			continue
		}
		same := true
		for k := range o.steps {
			if o.steps[k].seq != r.steps[k].seq || o.steps[k].stage != r.steps[k].stage {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

func newMachine[T any](c *compiled[T]) *machine[T] {
	m := &machine[T]{c: c}
	m.ctx.names = c.names
	var starts []run[T]
	m.proceed(run[T]{}, 0, -1, &starts)
	m.starts = starts
	return m
}

func (m *machine[T]) cond(f Condition[T], r *run[T], stage int, e *step[T]) bool {
	m.ctx.steps, m.ctx.ts, m.ctx.stage = r.steps, e.ts, stage
	return f(e.v, &m.ctx)
}

func (m *machine[T]) any(fs []Condition[T], r *run[T], stage int, e *step[T]) bool {
	for _, f := range fs {
		if m.cond(f, r, stage, e) {
			return true
		}
	}
	return false
}

// process feeds one event (in event-time order) to the key's partial
// matches; the matches it completes are appended to out, after the skip
// strategy.
func (m *machine[T]) process(st *nfaState[T], ts int64, v T, out []Match[T]) []Match[T] {
	e := step[T]{seq: st.nextSeq, ts: ts, v: v}
	st.nextSeq++
	m.next, m.done = m.next[:0], m.done[:0]
	for i := range st.runs {
		m.step(st.runs[i], &e)
	}
	for _, r := range m.starts {
		m.step(r, &e)
	}
	// The next list becomes the state; the old state's slice becomes the
	// next list of the next event.
	old := st.runs
	clear(old)
	st.runs, m.next = m.next, old[:0]
	return m.finish(st, out)
}

// advance times out the partial matches whose window ended by t (Flink's
// advanceTime): timed-out ones go to timeouts; those waiting in the final
// state of a trailing NotFollowedBy complete.
func (m *machine[T]) advance(st *nfaState[T], t int64, out []Match[T], timeouts []Timeout[T]) ([]Match[T], []Timeout[T]) {
	if m.c.within == 0 {
		return out, timeouts
	}
	m.done = m.done[:0]
	keep := st.runs[:0]
	for _, r := range st.runs {
		if len(r.steps) == 0 || t-r.steps[0].ts < m.c.within {
			keep = append(keep, r)
			continue
		}
		m.timedOut = append(m.timedOut, r)
	}
	for i := range m.timedOut {
		r := &m.timedOut[i]
		switch {
		case m.proceedCopy(r):
			// No state of Flink's: neither a timeout nor, in the final
			// state of a trailing NotFollowedBy, a match (its twin at the
			// earlier stage times out).
		case r.stage == len(m.c.stages) && m.c.waitFinal:
			m.done = append(m.done, *r)
		default:
			timeouts = append(timeouts, Timeout[T]{Partial: m.match(*r), Time: r.steps[0].ts + m.c.within})
		}
	}
	clear(m.timedOut)
	m.timedOut = m.timedOut[:0]
	clear(st.runs[len(keep):])
	st.runs = keep
	return m.finish(st, out), timeouts
}

func (m *machine[T]) step(r run[T], e *step[T]) {
	c := m.c
	if r.stage == len(c.stages) { // final state of a trailing negation
		if r.fresh && m.any(c.final.notNext, &r, len(c.stages)-1, e) || m.any(c.final.notFollowedBy, &r, len(c.stages)-1, e) {
			return
		}
		if !c.waitFinal {
			m.done = append(m.done, r) // the next event is not the negated one
			return
		}
		r.fresh = false
		m.next = append(m.next, r)
		return
	}
	s := &c.stages[r.stage]
	if r.count == 0 {
		if r.fresh && m.any(s.guards.notNext, &r, r.stage, e) || m.any(s.guards.notFollowedBy, &r, r.stage, e) {
			return
		}
		if r.greedyFrom >= 0 && m.cond(c.stages[r.greedyFrom].cond, &r, r.greedyFrom, e) {
			return // the greedy loop takes this event
		}
	}
	contig := s.into
	if r.count > 0 {
		contig = s.inner
	}
	if len(r.steps) == 0 {
		contig = Strict // a start: a fresh one is made for every event
	}
	// Until (Flink: NOT until on the take edge of every state of the loop,
	// the first included, and on the ignore edges inside it): inside the
	// loop it ends the run; before the first event it only keeps the event
	// out, the ignore edge into the loop being the stage's own.
	if r.count > 0 && s.until != nil && m.cond(s.until, &r, r.stage, e) {
		return
	}
	matched := (s.max < 0 || r.count < s.max) && m.cond(s.cond, &r, r.stage, e)
	if matched && !(r.count == 0 && s.until != nil && m.cond(s.until, &r, r.stage, e)) {
		steps := m.alloc(len(r.steps) + 1)
		copy(steps, r.steps)
		steps[len(r.steps)] = step[T]{stage: r.stage, seq: e.seq, ts: e.ts, v: e.v}
		m.afterTake(run[T]{stage: r.stage, count: r.count + 1, greedyFrom: -1, steps: steps})
	}
	switch contig {
	case Relaxed:
		if !matched { // Flink's relaxed ignore edge: NOT the condition
			r.fresh = false
			m.next = append(m.next, r)
		}
	case NonDeterministic:
		r.fresh = false
		m.next = append(m.next, r)
	}
}

func (m *machine[T]) afterTake(r run[T]) {
	s := &m.c.stages[r.stage]
	more := s.max < 0 || r.count < s.max
	if more {
		m.next = append(m.next, r)
	}
	if r.count >= s.min {
		g := -1
		if s.greedy { // at the maximum too: Flink guards the next state itself
			g = r.stage
		}
		m.proceed(r, r.stage+1, g, &m.next)
	}
}

// proceed puts r at (j, 0), and past j while j is optional; reaching the
// end completes the match (or waits in the final state of a negation).
func (m *machine[T]) proceed(r run[T], j, greedyFrom int, next *[]run[T]) {
	c := m.c
	if j == len(c.stages) {
		if len(r.steps) == 0 {
			return
		}
		if c.final.empty() {
			m.done = append(m.done, r)
			return
		}
		*next = append(*next, run[T]{stage: j, fresh: true, greedyFrom: -1, steps: r.steps})
		return
	}
	*next = append(*next, run[T]{stage: j, fresh: true, greedyFrom: greedyFrom, steps: r.steps})
	if s := &c.stages[j]; s.min == 0 {
		// Skipping an optional greedy loop is a way out of it too: the
		// stage after it may not take what the loop would (Flink's proceed
		// edge of a greedy state).
		if s.greedy {
			greedyFrom = j
		}
		m.proceed(r, j+1, greedyFrom, next)
	}
}

// finish applies the skip strategy to the completed runs in m.done (oldest
// start first, as Flink orders them) and appends the emitted matches.
func (m *machine[T]) finish(st *nfaState[T], out []Match[T]) []Match[T] {
	done := m.done
	if len(done) == 0 {
		return out
	}
	slices.SortStableFunc(done, func(a, b run[T]) int {
		if x, y := a.startSeq(), b.startSeq(); x != y {
			if x < y {
				return -1
			}
			return 1
		}
		return 0
	})
	for len(done) > 0 {
		r := done[0]
		done = done[1:]
		out = append(out, m.match(r))
		p, ok := m.pruneBelow(&r)
		if !ok {
			continue
		}
		st.runs = filterRuns(st.runs, p)
		done = filterRuns(done, p)
	}
	m.done = m.done[:0]
	return out
}

// prune is the set of partial matches (by the sequence number of their
// first event) a skip strategy discards after a match.
type prune struct {
	le bool // at or before at (else before at)
	at uint64
}

func (p prune) has(s uint64) bool {
	if p.le {
		return s <= p.at
	}
	return s < p.at
}

// pruneBelow gives the partial matches the skip strategy discards after the
// match r.
func (m *machine[T]) pruneBelow(r *run[T]) (prune, bool) {
	sk := m.c.skip
	switch sk.Kind {
	case SkipToNext:
		// At or before its first event, as Flink's SkipToNextStrategy
		// (a partial match older than the match goes too).
		return prune{le: true, at: r.startSeq()}, true
	case SkipPastLastEvent:
		return prune{le: true, at: r.steps[len(r.steps)-1].seq}, true
	case SkipToFirst, SkipToLast:
		found := false
		var at uint64
		for _, s := range r.steps {
			if m.c.names[s.stage] == sk.Stage {
				if !found || sk.Kind == SkipToLast {
					at = s.seq
				}
				found = true
			}
		}
		if !found {
			return prune{}, false // the stage took nothing: nothing is skipped (as Flink without throwExceptionOnMiss)
		}
		return prune{at: at}, true
	}
	return prune{}, false
}

func filterRuns[T any](rs []run[T], p prune) []run[T] {
	keep := rs[:0]
	for _, r := range rs {
		if len(r.steps) > 0 && p.has(r.startSeq()) {
			continue
		}
		keep = append(keep, r)
	}
	clear(rs[len(keep):])
	return keep
}

func (m *machine[T]) match(r run[T]) Match[T] {
	ev := make([]Event[T], len(r.steps))
	for i, s := range r.steps {
		ev[i] = Event[T]{Stage: m.c.names[s.stage], Time: s.ts, Value: s.v}
	}
	return Match[T]{Events: ev}
}

// Runner runs a pattern over the events of one key, in the order given,
// without buffering or state: for tests and oracles (Detect is the
// streaming operator).
type Runner[T any] struct {
	m  *machine[T]
	st nfaState[T]
}

// NewRunner compiles p.
func NewRunner[T any](p *Pattern[T]) (*Runner[T], error) {
	c, err := compile(p)
	if err != nil {
		return nil, err
	}
	return &Runner[T]{m: newMachine(c)}, nil
}

// Advance times out the partial matches whose window ended by t.
func (r *Runner[T]) Advance(t int64) ([]Match[T], []Timeout[T]) {
	return r.m.advance(&r.st, t, nil, nil)
}

// Process feeds one event and returns the matches it completes.
func (r *Runner[T]) Process(ts int64, v T) []Match[T] { return r.m.process(&r.st, ts, v, nil) }
