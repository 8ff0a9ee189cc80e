package planner

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zone names work without the host's zone database (one static binary)

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/stream"
)

// The clock and time zone of compiled expressions: every expression a job
// evaluates is compiled with the options of compileOptions, the job's
// processing-time clock (CURRENT_TIMESTAMP, NOW(), CURRENT_DATE,
// LOCALTIMESTAMP, UNIX_TIMESTAMP() ..., read per record as in Flink's
// streaming mode) and the session time zone.

// LocalTimeZoneOption is Flink's 'table.local-time-zone': the session time
// zone, in which TIMESTAMP_LTZ values are converted to and from TIMESTAMP,
// DATE, TIME and STRING and in which CURRENT_DATE, LOCALTIMESTAMP and
// LOCALTIME read the clock. Its default ('default' or unset) is UTC.
const LocalTimeZoneOption = "table.local-time-zone"

// ParseTimeZone reads a value of 'table.local-time-zone' as Flink accepts
// it: a time zone database name ('Europe/Berlin'), 'UTC', or a fixed
// offset 'GMT+03:00' ('GMT-8', 'GMT+0530'); 'default' is UTC.
func ParseTimeZone(v string) (*time.Location, error) {
	s := strings.TrimSpace(v)
	switch {
	case s == "" || s == "default":
		return time.UTC, nil
	case s == "UTC" || s == "GMT":
		return time.UTC, nil
	case strings.HasPrefix(s, "GMT+") || strings.HasPrefix(s, "GMT-"):
		if loc, ok := gmtOffset(s); ok {
			return loc, nil
		}
	case s != "Local" && !strings.HasPrefix(s, "UTC+") && !strings.HasPrefix(s, "UTC-"):
		if loc, err := time.LoadLocation(s); err == nil {
			return loc, nil
		}
	}
	return nil, fmt.Errorf("invalid time zone '%s': write a time zone database name such as 'Europe/Berlin' or 'America/Los_Angeles' (with daylight saving time), a fixed offset such as 'GMT+03:00' or 'GMT-08:00', or 'UTC'", v)
}

// gmtOffset reads GMT+H, GMT+HH, GMT+HHMM or GMT+HH:MM (Java's custom
// time zone IDs), hours up to 23.
func gmtOffset(s string) (*time.Location, bool) {
	sign := 1
	if s[3] == '-' {
		sign = -1
	}
	body := s[4:]
	hs, ms := body, "0"
	if h, m, ok := strings.Cut(body, ":"); ok {
		if len(m) != 2 {
			return nil, false
		}
		hs, ms = h, m
	} else if len(body) == 4 {
		hs, ms = body[:2], body[2:]
	}
	if len(hs) < 1 || len(hs) > 2 {
		return nil, false
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || h > 23 || m > 59 || hs[0] == '+' || hs[0] == '-' || ms[0] == '+' || ms[0] == '-' {
		return nil, false
	}
	off := sign * (h*3600 + m*60)
	name := fmt.Sprintf("GMT%c%02d:%02d", "+-"[(1-sign)/2], h, m)
	return time.FixedZone(name, off), true
}

// Location is the session time zone ('table.local-time-zone').
func (p *Planner) Location() (*time.Location, error) {
	v, ok := p.Cat.Options[LocalTimeZoneOption]
	if !ok {
		return time.UTC, nil
	}
	loc, err := ParseTimeZone(v)
	if err != nil {
		return nil, fmt.Errorf("SET '%s' = '%s': %w", LocalTimeZoneOption, v, err)
	}
	return loc, nil
}

// compileOptions are the options every expression of a job on env is
// compiled with: env's clock and the session time zone.
func (p *Planner) compileOptions(env *stream.Environment) ([]expr.Option, error) {
	loc, err := p.Location()
	if err != nil {
		return nil, err
	}
	opts := []expr.Option{expr.WithLocation(loc)}
	if env != nil {
		clock := env.Clock()
		opts = append(opts, expr.WithClock(clock.NowMillis))
	}
	return opts, nil
}
