package expr

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/stromio/strom/table"
)

// DATE_FORMAT with a constant pattern over a TIMESTAMP, TIMESTAMP_LTZ or
// DATE remembers its last result: the text depends only on the value's
// wall clock truncated to the pattern's finest letter (a day for
// yyyy-MM-dd, a minute for HH:mm, a second for ss; letters of the day:
// y M d D E u; of the hour: H h k K a; m; s) and, for Z X z, on the zone
// offset and name. So the last result holds for a range [lo, hi) of the
// input's epoch milliseconds: the wall-clock unit of the last value, and
// for a TIMESTAMP_LTZ also the stretch of time in which the session zone
// keeps its offset (time.Time.ZoneBounds), the unit mapped back to
// instants with that offset. A DST change therefore ends a range (a wall
// hour that repeats is two ranges with their own offsets), and so does a
// new wall-clock day or minute. Patterns with S (fractions of a second)
// and string inputs are formatted per row. The range is kept in an
// immutable entry behind an atomic pointer: a Program may run on several
// goroutines.

// dtCacheEntry is a result and the input range it holds for.
type dtCacheEntry struct {
	lo, hi int64 // epoch ms of the input (wall for TIMESTAMP and DATE, instant for LTZ)
	v      table.Value
}

// dtUnit is the wall-clock unit in milliseconds over which a pattern's
// text stays the same, or 0 when it changes within a second (S).
func dtUnit(toks []dtToken) int64 {
	unit := int64(msPerDay)
	for _, t := range toks {
		switch t.letter {
		case 'S':
			return 0
		case 's':
			unit = min(unit, 1000)
		case 'm':
			unit = min(unit, 60_000)
		case 'H', 'h', 'k', 'K', 'a':
			unit = min(unit, 3_600_000)
		}
	}
	return unit
}

// dtCache is the last-result cache of one DATE_FORMAT call site.
type dtCache struct {
	toks []dtToken
	unit int64
	t    table.Type
	loc  *time.Location
	last atomic.Pointer[dtCacheEntry]
}

// newDTCache returns the cache of a constant pattern over a value of type
// t, or nil when the pattern's text changes within a second.
func newDTCache(toks []dtToken, t table.Type, loc *time.Location) *dtCache {
	u := dtUnit(toks)
	if u == 0 || !isTemporal(t) || t.Root() == table.RootNull {
		return nil
	}
	return &dtCache{toks: toks, unit: u, t: t, loc: loc}
}

// format is DATE_FORMAT of x (not NULL).
func (c *dtCache) format(x table.Value) table.Value {
	var in int64
	if c.t.Root() == table.RootDate {
		in = int64(x.AsDate()) * msPerDay
	} else {
		in, _ = x.AsTimestamp()
	}
	if e := c.last.Load(); e != nil && in >= e.lo && in < e.hi {
		return e.v
	}
	ms, ns, off, zn := wallOf(x, c.t, c.loc)
	v := table.Str(formatDT(c.toks, ms, ns, off, zn))
	wlo := table.FloorDiv(ms, c.unit) * c.unit
	shift := ms - in // the offset in ms (0 but for LTZ)
	lo, hi := wlo-shift, wlo+c.unit-shift
	if c.t.Root() == table.RootTimestampLTZ {
		zs, ze := time.UnixMilli(in).In(c.loc).ZoneBounds()
		if !zs.IsZero() {
			lo = max(lo, zs.UnixMilli())
		}
		if !ze.IsZero() {
			hi = min(hi, ze.UnixMilli())
		}
	}
	if lo <= in && in < hi && hi != math.MaxInt64 {
		c.last.Store(&dtCacheEntry{lo: lo, hi: hi, v: v})
	}
	return v
}
