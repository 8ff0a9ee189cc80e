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
// it (TableConfigUtils.validateTimeZone: the zone must read the same in
// java.util.TimeZone and java.time.ZoneId): a time zone database name
// ('Europe/Berlin'), 'UTC', or a fixed offset GMT+h, GMT+hh, GMT+hhmm or
// GMT+hh:mm up to 18:00 ('GMT+03:00', 'GMT-8', 'GMT+0530'); 'default' is
// UTC. It refuses ”, the short IDs EST, MST and HST (Java's TimeZone
// reads them as fixed offsets, ZoneId as zones) and GMT-3:30.
func ParseTimeZone(v string) (*time.Location, error) {
	s := v
	switch {
	case s == "default":
		return time.UTC, nil
	case s == "UTC" || s == "GMT":
		return time.UTC, nil
	case strings.HasPrefix(s, "GMT+") || strings.HasPrefix(s, "GMT-"):
		if loc, ok := gmtOffset(s); ok {
			return loc, nil
		}
	case s == "" || s == "Local" || s == "EST" || s == "MST" || s == "HST" || strings.TrimSpace(s) != s:
	case !strings.HasPrefix(s, "UTC+") && !strings.HasPrefix(s, "UTC-"):
		if loc, err := time.LoadLocation(s); err == nil {
			return loc, nil
		}
	}
	return nil, fmt.Errorf("invalid time zone '%s': write a time zone database name such as 'Europe/Berlin' or 'America/Los_Angeles' (with daylight saving time), a fixed offset such as 'GMT+03:00' or 'GMT-08:00' (GMT+h, GMT+hh, GMT+hhmm or GMT+hh:mm), or 'UTC'", v)
}

// gmtOffset reads GMT+h, GMT+hh, GMT+hhmm or GMT+hh:mm (the custom IDs
// both Java's TimeZone and ZoneId read), up to 18:00.
func gmtOffset(s string) (*time.Location, bool) {
	sign := 1
	if s[3] == '-' {
		sign = -1
	}
	body := s[4:]
	hs, ms := body, "0"
	switch {
	case len(body) == 5 && body[2] == ':':
		hs, ms = body[:2], body[3:]
	case len(body) == 4:
		hs, ms = body[:2], body[2:]
	case len(body) == 1 || len(body) == 2:
	default:
		return nil, false
	}
	for _, r := range hs + ms {
		if r < '0' || r > '9' {
			return nil, false
		}
	}
	h, _ := strconv.Atoi(hs)
	m, _ := strconv.Atoi(ms)
	if m > 59 || h*60+m > 18*60 {
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
