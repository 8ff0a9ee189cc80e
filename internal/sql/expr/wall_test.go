package expr

import (
	"testing"
	"time"
)

// TestWallToInstantTransitions: wall times in a daylight-saving gap or
// overlap read as Java's LocalDateTime.atZone reads them (Flink): a gap
// moves forward by its length (the offset before the transition), an
// overlap takes the earlier offset.
func TestWallToInstantTransitions(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Skipf("no zone data for %s: %v", name, err)
		}
		return loc
	}
	wall := func(s string) int64 {
		w, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return w.UnixMilli()
	}
	utc := func(s string) int64 { return wall(s) }
	for _, c := range []struct {
		zone, wall, want string // want in UTC
	}{
		{"America/Los_Angeles", "2021-03-14 02:30", "2021-03-14 10:30"}, // gap: 03:30 PDT
		{"Europe/Berlin", "2024-03-31 02:30", "2024-03-31 01:30"},       // gap: 03:30 CEST
		{"Europe/Berlin", "2024-10-27 02:30", "2024-10-27 00:30"},       // overlap: CEST, the earlier offset
		{"America/Los_Angeles", "2021-11-07 01:30", "2021-11-07 08:30"}, // overlap: PDT
		{"Europe/Berlin", "2024-07-01 12:00", "2024-07-01 10:00"},
		{"Europe/Berlin", "2024-01-01 00:00", "2023-12-31 23:00"},
		{"Asia/Shanghai", "2024-03-30 18:00", "2024-03-30 10:00"},
	} {
		if got := wallToInstant(wall(c.wall), load(c.zone)); got != utc(c.want) {
			t.Errorf("%s %s: %s, want %s UTC", c.zone, c.wall, time.UnixMilli(got).UTC().Format("2006-01-02 15:04"), c.want)
		}
	}
}
