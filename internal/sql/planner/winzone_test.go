package planner

import (
	"testing"
	"time"

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
