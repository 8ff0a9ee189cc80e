package planner

import (
	"strings"
	"testing"
	"time"
)

// TestParseTimeZone: the values of 'table.local-time-zone' Flink accepts
// (TZDB names, UTC, GMT offsets; 'default' is UTC here) and the ones it
// refuses (UTC+01:00, which Java reads as UTC, ”, EST, GMT-3:30 and unknown
// names).
func TestParseTimeZone(t *testing.T) {
	instant := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in  string
		off int // seconds east of UTC at instant
	}{
		{"default", 0}, {"UTC", 0}, {"GMT", 0},
		{"Europe/Berlin", 7200}, {"America/Los_Angeles", -7 * 3600},
		{"GMT+03:00", 3 * 3600}, {"GMT-08:00", -8 * 3600}, {"GMT+5", 5 * 3600},
		{"GMT+0530", 5*3600 + 1800}, {"GMT-03:30", -(3*3600 + 1800)},
		{"GMT+18:00", 18 * 3600}, {"EST5EDT", -4 * 3600},
	} {
		loc, err := ParseTimeZone(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if _, off := instant.In(loc).Zone(); off != c.off {
			t.Errorf("%q: offset %d, want %d", c.in, off, c.off)
		}
	}
	for _, in := range []string{"UTC+01:00", "UTC-8", "Local", "Mars/Olympus", "GMT+24", "GMT+1:5", "GMT+", "GMT++1", "+01:00", "berlin",
		"", " UTC", "EST", "MST", "HST", "GMT-3:30", "GMT+19", "GMT+18:01", "GMT+123", "GMT+03:00:00"} {
		if _, err := ParseTimeZone(in); err == nil || !strings.Contains(err.Error(), "'Europe/Berlin'") {
			t.Errorf("%q: err %v, want one saying what to write", in, err)
		}
	}
}
