package planner

import (
	"math"
	"strings"
	"time"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// Windows over a TIMESTAMP_LTZ time attribute follow the session time
// zone, as in Flink (FLIP-162, TimeWindowUtil): the zone is the windows'
// "shift time zone". A row's timestamp is read as the wall-clock time of
// the zone (its epoch milliseconds plus the zone's offset then), the
// windows are assigned on that wall-clock time (a 1-day TUMBLE starts at
// local midnight; the day of a daylight-saving transition has 23 or 25
// hours of rows), window_start and window_end are that wall-clock time
// (TIMESTAMP(3)), window_time is the instant of window_end - 1 in the
// zone (TIMESTAMP_LTZ(3)), and a window fires when the watermark (or, in
// processing time, the clock) reaches windowZone.Timer(window_end - 1).
// Over a TIMESTAMP attribute, or in UTC, nothing is shifted (zone nil).

// windowZone is the shift time zone of windows over a TIMESTAMP_LTZ
// attribute; nil means none (UTC or a TIMESTAMP attribute).
type windowZone struct {
	loc *time.Location
	// dst is Java's TimeZone.useDaylightTime, which Flink's timers ask:
	// whether the zone's current rules have daylight saving time (Berlin
	// yes; Shanghai, whose last DST was in 1991, no).
	dst bool
}

// zoneOfWindow is the shift time zone of windows over a time attribute of
// type t in session zone loc: nil unless t is a TIMESTAMP_LTZ and loc is
// not UTC.
func zoneOfWindow(t table.Type, loc *time.Location) *windowZone {
	if t.Root() != table.RootTimestampLTZ || loc == nil || loc == time.UTC {
		return nil
	}
	return &windowZone{loc: loc, dst: usesDST(loc)}
}

// usesDST reports whether loc's rules after its last transition (the rule
// in effect today and onwards: Go extends the zone database's table with
// it) have daylight saving time, as Java's TimeZone.useDaylightTime.
func usesDST(loc *time.Location) bool {
	y := time.Now().Year() + 1
	for _, m := range []time.Month{time.January, time.April, time.July, time.October} {
		if time.Date(y, m, 1, 12, 0, 0, 0, loc).IsDST() {
			return true
		}
	}
	return false
}

func (z *windowZone) name() string { return z.loc.String() }

// wall is the wall-clock time in the zone of the instant ms (Flink's
// toUtcTimestampMills).
func (z *windowZone) wall(ms int64) int64 {
	if ms == math.MinInt64 || ms == math.MaxInt64 {
		return ms
	}
	return expr.InstantToWall(ms, z.loc)
}

// Timestamp is the instant of the wall-clock time maxTs in the zone
// (Flink's toEpochMills): window_time of the window whose max timestamp
// is maxTs, and the timestamp of its rows. A wall time in a gap moves
// forward by the gap, one in an overlap takes the earlier offset (so at
// the end of summer time a window in the repeated hour has a window_time
// an hour before it fires, as in Flink).
func (z *windowZone) Timestamp(maxTs int64) int64 {
	if maxTs == math.MaxInt64 || maxTs == math.MinInt64 {
		return maxTs
	}
	return expr.WallToInstant(maxTs, z.loc)
}

// Timer is when the window whose max timestamp (window_end - 1, a
// wall-clock time) is maxTs fires (Flink's toEpochMillsForTimer). In a
// zone with daylight saving time: a max timestamp in the wall-clock time
// the clocks skip fires at the transition, the first instant after it;
// one in the wall-clock time repeated when they go back fires at its
// second occurrence, so that the rows of both are in. Otherwise it is the
// instant of maxTs.
//
// Timer is monotonic (a later max timestamp never fires earlier), which
// the window operator relies on: a session that merges windows that have
// not fired is not late either. Flink computes the gap's timer as the
// instant moved forward by the gap truncated to the UTC hour, and the
// overlap's as the instant plus one hour: the same instants where the
// offsets are whole hours and the clocks move by an hour (Europe, the
// Americas but St. John's), but not monotonic where they are not
// (Australia/Adelaide, America/St_Johns: a window ending in the gap fired
// up to half an hour before the windows just before it; Australia/
// Lord_Howe, whose clocks move by half an hour), where strom fires at the
// transition and the second occurrence instead (TestWindowZoneTimer*).
func (z *windowZone) Timer(maxTs int64) int64 {
	if maxTs == math.MaxInt64 || maxTs == math.MinInt64 {
		return maxTs
	}
	t1 := expr.WallToInstant(maxTs, z.loc)
	if !z.dst {
		return t1
	}
	start, end := time.UnixMilli(t1).In(z.loc).ZoneBounds()
	if z.wall(t1) != maxTs {
		// In a gap: t1 is maxTs moved forward by the gap, in the zone
		// period that starts at the transition.
		return start.UnixMilli()
	}
	if !end.IsZero() {
		// In an overlap when maxTs read with the offset after the next
		// transition is an instant at or after it: that instant is its
		// second occurrence.
		_, off := end.Zone()
		if c := maxTs - int64(off)*1000; c >= end.UnixMilli() {
			return c
		}
	}
	return t1
}

var _ stream.WindowShift = (*windowZone)(nil)

// shiftAssigner assigns the windows of the wall-clock time of an element
// (and of the processing time) in the zone.
type shiftAssigner struct {
	a stream.WindowAssigner
	z *windowZone
}

// Assign reads now as wall-clock time only for a processing-time
// assigner (an event-time one does not read it): one zone lookup a row.
func (s shiftAssigner) Assign(dst []stream.Window, ts, now int64) []stream.Window {
	if s.a.EventTime() {
		return s.a.Assign(dst, s.z.wall(ts), now)
	}
	return s.a.Assign(dst, s.z.wall(ts), s.z.wall(now))
}
func (s shiftAssigner) EventTime() bool { return s.a.EventTime() }
func (s shiftAssigner) Merging() bool   { return s.a.Merging() }

// winColType is the type of window column k (0 window_start, 1
// window_end, 2 window_time) of windows over a time attribute of type
// attr, as Flink's: window_start and window_end are TIMESTAMP(3) (wall
// clock time in the shift time zone), window_time has the attribute's
// type, TIMESTAMP(3) or TIMESTAMP_LTZ(3); agg marks it an event-time
// attribute (the rows of a window aggregation).
func winColType(k int, attr table.Type, agg bool) table.Type {
	t := table.TimestampType(3).NotNull()
	if k != 2 {
		return t
	}
	if attr.Root() == table.RootTimestampLTZ {
		t = table.TimestampLTZType(3).NotNull()
	}
	if agg {
		t = t.WithTimeAttr(table.Rowtime)
	}
	return t
}

// zoneUIDKind is the UID kind of an operator over windows of shift time
// zone z: kind with "-tz" when z is not nil. Before windows took the
// session zone such operators had kind's UID and state of windows aligned
// in UTC; the other UID makes a restore from such a savepoint refuse that
// state as unmatched instead of reading it wrong. Plans without a zone
// (UTC, TIMESTAMP) keep their UIDs.
func zoneUIDKind(kind string, z *windowZone) string {
	if z == nil {
		return kind
	}
	return kind + "-tz"
}

// zoneWindowText adds the shift time zone to the window of EXPLAIN.
func zoneWindowText(win string, z *windowZone) string {
	if z == nil {
		return win
	}
	return strings.TrimSuffix(win, ")") + ", zone=[" + z.name() + "])"
}

// emitAtWindowTime stamps the rows an operator over windows of shift time
// zone z emits when the window ending at we fires with the window's
// window_time, z's Timestamp of window_end - 1 (nil z: nothing to do, the
// timer's time is end - 1), not with the timer's time: the rowtime a
// window after them reads, as Flink's operators, which emit without a
// timestamp, leave the rowtime to the window_time column.
func emitAtWindowTime(out stream.Emitter[table.Row], z *windowZone, we table.Value) {
	if z == nil || we.IsNull() {
		return
	}
	end, _ := we.AsTimestamp()
	stream.SetEmitTimestamp(out, z.Timestamp(end-1))
}

// fireAt is when the window ending at end (a window_end of windows of
// shift time zone z, nil for none) fires: end - 1, or z's Timer of it.
func fireAt(z *windowZone, end int64) int64 {
	if z == nil {
		return end - 1
	}
	return z.Timer(end - 1)
}
