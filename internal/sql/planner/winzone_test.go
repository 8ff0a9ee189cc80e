package planner

import (
	"math"
	"testing"
	"time"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// wallMs is the wall-clock time s ("2006-01-02 15:04:05") as epoch
// milliseconds read in UTC (a TIMESTAMP value).
func wallMs(t *testing.T, s string) int64 {
	t.Helper()
	w, err := time.ParseInLocation(time.DateTime, s, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return w.UnixMilli()
}

// TestWindowZoneTimer checks the firing time of windows across daylight
// saving transitions against the cases Flink's TimeWindowUtil documents
// for toEpochMillsForTimer (America/Los_Angeles, 2021).
func TestWindowZoneTimer(t *testing.T) {
	la, err := ParseTimeZone("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	z := zoneOfWindow(table.TimestampLTZType(3), la)
	if z == nil || !z.dst {
		t.Fatalf("zone %v: want a shift with daylight saving time", z)
	}
	for _, c := range []struct {
		wall string
		want int64
	}{
		{"2021-03-14 00:00:00", 1615708800000},
		{"2021-03-14 01:00:00", 1615712400000},
		{"2021-03-14 02:00:00", 1615716000000}, // skipped: the first instant after the gap
		{"2021-03-14 02:59:59", 1615716000000},
		{"2021-03-14 03:00:00", 1615716000000},
		{"2021-11-07 00:00:00", 1636268400000},
		{"2021-11-07 01:00:00", 1636275600000}, // repeated: the second occurrence
		{"2021-11-07 02:00:00", 1636279200000},
	} {
		if got := z.Timer(wallMs(t, c.wall)); got != c.want {
			t.Errorf("Timer(%s) = %d, want %d", c.wall, got, c.want)
		}
	}
	// window_time: the earlier occurrence in an overlap, forward in a gap.
	if got, want := z.Timestamp(wallMs(t, "2021-11-07 01:00:00")), int64(1636272000000); got != want {
		t.Errorf("Timestamp(2021-11-07 01:00:00) = %d, want %d", got, want)
	}
	if got, want := z.Timestamp(wallMs(t, "2021-03-14 02:30:00")), int64(1615716000000+30*60*1000); got != want {
		t.Errorf("Timestamp(2021-03-14 02:30:00) = %d, want %d", got, want)
	}
	// wall is toUtcTimestampMills: 2021-11-07 01:30 PST reads 01:30.
	if got, want := z.wall(1636275600000+30*60*1000), wallMs(t, "2021-11-07 01:30:00"); got != want {
		t.Errorf("wall = %d, want %d", got, want)
	}
	sh, _ := ParseTimeZone("Asia/Shanghai")
	if z := zoneOfWindow(table.TimestampLTZType(3), sh); z == nil || z.dst {
		t.Errorf("Asia/Shanghai: %+v, want a shift without daylight saving time", z)
	}
	if z := zoneOfWindow(table.TimestampType(3), la); z != nil {
		t.Errorf("TIMESTAMP attribute: shift %v, want none", z)
	}
	if z := zoneOfWindow(table.TimestampLTZType(3), time.UTC); z != nil {
		t.Errorf("UTC: shift %v, want none", z)
	}
}

// flinkTimer is Flink's toEpochMillsForTimer for a zone with daylight
// saving time: in a gap the instant moved forward by the gap truncated to
// the UTC hour, in an overlap the earlier instant plus an hour.
func flinkTimer(z *windowZone, maxTs int64) int64 {
	const hour = 3600 * 1000
	t1 := expr.WallToInstant(maxTs, z.loc)
	t2 := expr.WallToInstant(maxTs+hour, z.loc)
	switch {
	case t1 == t2:
		return t1 - t1%hour
	case t2-t1 > hour:
		return t1 + hour
	}
	return t1
}

// TestWindowZoneTimerMonotonic: over every minute of 2024 (a window_end
// each minute), Timer never goes back, in zones whose offsets are not
// whole hours (Adelaide, St. John's) or whose clocks move by half an hour
// (Lord Howe), where Flink's truncation to the UTC hour does; it fires no
// earlier than the instant of the max timestamp unless that is in a gap;
// and where the offsets are whole hours and the clocks move by an hour it
// is Flink's.
func TestWindowZoneTimerMonotonic(t *testing.T) {
	for _, name := range []string{"Australia/Adelaide", "America/St_Johns", "Australia/Lord_Howe", "Europe/Berlin", "America/Los_Angeles", "Australia/Sydney"} {
		loc, err := ParseTimeZone(name)
		if err != nil {
			t.Fatal(err)
		}
		z := zoneOfWindow(table.TimestampLTZType(3), loc)
		if z == nil || !z.dst {
			t.Fatalf("%s: want a zone with daylight saving time", name)
		}
		flink := map[string]bool{"Europe/Berlin": true, "America/Los_Angeles": true, "Australia/Sydney": true}[name]
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		prev, bad := int64(math.MinInt64), 0
		for w := start; w < start+366*24*3600*1000 && bad < 3; w += 60 * 1000 {
			m := w - 1
			tm := z.Timer(m)
			t1 := expr.WallToInstant(m, z.loc)
			inGap := z.wall(t1) != m
			switch {
			case tm < prev:
				t.Errorf("%s: Timer(%s) = %s, before the previous minute's %s", name, time.UnixMilli(m).UTC().Format(time.DateTime+".000"),
					time.UnixMilli(tm).UTC().Format(time.DateTime+".000"), time.UnixMilli(prev).UTC().Format(time.DateTime+".000"))
				bad++
			case !inGap && tm < t1:
				t.Errorf("%s: Timer(%s) = %d, before its instant %d", name, time.UnixMilli(m).UTC().Format(time.DateTime+".000"), tm, t1)
				bad++
			case flink && tm != flinkTimer(z, m):
				t.Errorf("%s: Timer(%s) = %d, Flink's is %d", name, time.UnixMilli(m).UTC().Format(time.DateTime+".000"), tm, flinkTimer(z, m))
				bad++
			}
			prev = tm
		}
	}
}

type sessionEvent struct {
	K  string
	V  int64
	TS int64
}

// TestWindowZoneSessionMergeAcrossGap: sessions (gap 30 minutes) in
// Australia/Adelaide just before summer time starts (2024-10-06 02:00
// ACST -> 03:00 ACDT, 16:30 UTC). a's session [01:15, 01:45) fires at
// 16:14:59.999 UTC; after the watermark reached 16:03 UTC, a's row of
// 01:36 makes it [01:15, 02:06), which ends in the gap: it must not be
// judged late (with Flink's timer it fired at 16:00 UTC, before the
// watermark, and the merged session's rows were lost and its state kept
// without a timer). Every row comes out and no state is left.
func TestWindowZoneSessionMergeAcrossGap(t *testing.T) {
	loc, err := ParseTimeZone("Australia/Adelaide")
	if err != nil {
		t.Fatal(err)
	}
	z := zoneOfWindow(table.TimestampLTZType(3), loc)
	at := func(hh, mm int) int64 { // wall time ACST (+9:30) -> instant
		return time.Date(2024, 10, 6, hh, mm, 0, 0, time.FixedZone("ACST", 34200)).UnixMilli()
	}
	agg := stream.AggregatorFuncs[sessionEvent, int64, int64]{
		CreateFn: func() int64 { return 0 },
		AddFn:    func(e sessionEvent, acc int64) int64 { return acc + e.V },
		MergeFn:  func(a, b int64) int64 { return a + b },
		ResultFn: func(acc int64) int64 { return acc },
		Codec:    codec.Int64{},
	}
	h, err := streamtest.New(func(s stream.Stream[sessionEvent]) stream.Stream[stream.WindowResult[string, int64]] {
		ks := stream.KeyBy(s, func(e sessionEvent) string { return e.K })
		return stream.WindowAggregateWithWindow(ks.Window(shiftAssigner{stream.EventTimeSessionWindows(30 * time.Minute), z}).Shift(z), agg)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []sessionEvent{{"a", 1, at(1, 15)}, {"b", 10, at(1, 33)}, {"a", 2, at(1, 36)}, {"c", 100, at(4, 0)}} {
		if err := h.Record(e.TS, e); err != nil {
			t.Fatal(err)
		}
		if err := h.Watermark(e.TS); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.EndInput(); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{}
	for _, r := range h.Values() {
		sums[r.Key] += r.Value
	}
	if sums["a"] != 3 || sums["b"] != 10 || sums["c"] != 100 || h.LateRecords() != 0 {
		t.Errorf("sums %v, %d late; want a 3, b 10, c 100, none late", sums, h.LateRecords())
	}
	if n := h.StateBytes(); n != 0 {
		t.Errorf("%d bytes of state left", n)
	}
}

// nowAssigner records the now it is handed.
type nowAssigner struct {
	event bool
	now   *int64
}

func (a nowAssigner) Assign(dst []stream.Window, _, now int64) []stream.Window {
	*a.now = now
	return dst
}
func (a nowAssigner) EventTime() bool { return a.event }
func (a nowAssigner) Merging() bool   { return false }

// TestShiftAssignerNow: shiftAssigner hands a processing-time assigner
// the wall-clock time of now in the zone, and an event-time one (which
// does not read it) now as it is, without looking the zone up.
func TestShiftAssignerNow(t *testing.T) {
	la, err := ParseTimeZone("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	z := zoneOfWindow(table.TimestampLTZType(3), la)
	now := time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC).UnixMilli()
	for _, event := range []bool{false, true} {
		var got int64
		shiftAssigner{nowAssigner{event, &got}, z}.Assign(nil, now, now)
		want := z.wall(now)
		if event {
			want = now
		}
		if got != want {
			t.Errorf("event time %v: now %d, want %d", event, got, want)
		}
	}
}

// TestZeroOffsetZonesShift: as in Flink, whose TimeWindowUtil shifts for
// every zone id but "UTC", 'Etc/UTC' and 'GMT+00:00' are shift time zones
// (the same windows, through the shifted plan); 'UTC' is none.
func TestZeroOffsetZonesShift(t *testing.T) {
	for name, shifts := range map[string]bool{"UTC": false, "Etc/UTC": true, "GMT+00:00": true} {
		loc, err := ParseTimeZone(name)
		if err != nil {
			t.Fatal(err)
		}
		z := zoneOfWindow(table.TimestampLTZType(3), loc)
		if (z != nil) != shifts {
			t.Errorf("%s: shift time zone %v, want one: %v", name, z, shifts)
		}
		if z != nil {
			if m := wallMs(t, "2024-03-31 23:59:59"); z.Timer(m) != m || z.Timestamp(m) != m {
				t.Errorf("%s: Timer %d, Timestamp %d, want %d", name, z.Timer(m), z.Timestamp(m), m)
			}
		}
	}
}
