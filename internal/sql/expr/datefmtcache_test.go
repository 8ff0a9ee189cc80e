package expr

import (
	"math/rand"
	"testing"
	"time"

	"github.com/stromio/strom/table"
)

// TestDateFormatCacheMatchesPerRow walks TIMESTAMP, TIMESTAMP_LTZ and DATE
// values across day, minute and DST boundaries in several zones, forwards
// and back, and checks that every DATE_FORMAT result of the cached call
// is the text formatted for that row alone.
func TestDateFormatCacheMatchesPerRow(t *testing.T) {
	zones := []string{"UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago", "Pacific/Chatham"}
	patterns := []string{
		"yyyy-MM-dd", "HH:mm", "yyyy-MM-dd HH:mm:ss", "yy MMM MMMM d D", "EEE EEEE u", "h:mm a", "k K",
		"yyyy-MM-dd HH:mm Z", "HH:mm X", "HH:mm XXX", "HH z", "'day' yyyyMMdd", "mm", "ss", "'const'",
	}
	// Instants near DST changes and day ends (ms since the epoch).
	anchors := []int64{
		time.Date(2024, 3, 10, 6, 59, 0, 0, time.UTC).UnixMilli(),  // New York spring forward (07:00 UTC)
		time.Date(2024, 11, 3, 5, 59, 0, 0, time.UTC).UnixMilli(),  // New York fall back (06:00 UTC)
		time.Date(2024, 3, 31, 0, 59, 0, 0, time.UTC).UnixMilli(),  // London (01:00 UTC)
		time.Date(2024, 10, 27, 0, 59, 0, 0, time.UTC).UnixMilli(), // London back
		time.Date(2024, 4, 6, 14, 59, 0, 0, time.UTC).UnixMilli(),  // Lord Howe: 30-minute DST
		time.Date(2024, 4, 7, 2, 59, 0, 0, time.UTC).UnixMilli(),   // Santiago: a change at midnight
		time.Date(2024, 12, 31, 23, 59, 0, 0, time.UTC).UnixMilli(),
		time.Date(1969, 12, 31, 23, 58, 0, 0, time.UTC).UnixMilli(), // before the epoch
		time.Date(2024, 2, 28, 23, 59, 59, 0, time.UTC).UnixMilli(),
	}
	rnd := rand.New(rand.NewSource(1))
	steps := []int64{1, 999, 1000, 59_999, 60_000, 3_600_000, 86_399_999, 86_400_000, -1, -60_000, -3_600_000}
	for _, zn := range zones {
		loc, err := time.LoadLocation(zn)
		if err != nil {
			t.Skipf("zone %s: %v", zn, err)
		}
		for _, pat := range patterns {
			toks, err := parsePattern(pat)
			if err != nil {
				t.Fatal(err)
			}
			for _, typ := range []table.Type{table.TimestampType(3), table.TimestampLTZType(3), table.DateType()} {
				c := newDTCache(toks, typ, loc)
				if c == nil {
					t.Fatalf("%s over %s: no cache", pat, typ)
				}
				hits := 0
				for _, a := range anchors {
					// A dense walk over the two days around the anchor, then
					// random jumps forwards and back.
					ms := a - 26*3_600_000
					for k := range 700 {
						if k < 400 {
							ms += rnd.Int63n(15 * 60_000)
						} else {
							ms += steps[rnd.Intn(len(steps))] + rnd.Int63n(1000)
						}
						var x table.Value
						if typ.Root() == table.RootDate {
							x = table.Date(int32(table.FloorDiv(ms, msPerDay)))
						} else {
							x = table.TimestampMillis(ms)
						}
						if e := c.last.Load(); e != nil {
							in := ms
							if typ.Root() == table.RootDate {
								in = table.FloorDiv(ms, msPerDay) * msPerDay
							}
							if in >= e.lo && in < e.hi {
								hits++
							}
						}
						got := c.format(x)
						wms, ns, off, z := wallOf(x, typ, loc)
						if want := formatDT(toks, wms, ns, off, z); got.AsString() != want {
							t.Fatalf("%s %q over %s at %d (%s): cached %q, per row %q", zn, pat, typ, ms, time.UnixMilli(ms).In(loc), got.AsString(), want)
						}
					}
				}
				if hits == 0 {
					t.Errorf("%s %q over %s: the cache never hit", zn, pat, typ)
				}
			}
		}
	}
}

// TestDateFormatCacheUnits checks the unit of each pattern letter, and
// that a fraction of a second is not cached.
func TestDateFormatCacheUnits(t *testing.T) {
	for pat, want := range map[string]int64{
		"yyyy-MM-dd": msPerDay, "EEE": msPerDay, "u": msPerDay, "D": msPerDay, "'x'": msPerDay,
		"HH": 3_600_000, "h a": 3_600_000, "k": 3_600_000, "K": 3_600_000,
		"HH:mm": 60_000, "ss": 1000, "yyyy Z X z": msPerDay, "HH:mm:ss.SSS": 0, "S": 0,
	} {
		toks, err := parsePattern(pat)
		if err != nil {
			t.Fatal(err)
		}
		if got := dtUnit(toks); got != want {
			t.Errorf("dtUnit(%q) = %d, want %d", pat, got, want)
		}
	}
	toks, _ := parsePattern("HH:mm:ss.SSS")
	if newDTCache(toks, table.TimestampType(3), time.UTC) != nil {
		t.Error("a pattern with S got a cache")
	}
}

// TestDateFormatCacheInZone runs DATE_FORMAT through the compiler in a
// non-UTC session zone: LTZ values on both sides of a DST change.
func TestDateFormatCacheInZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	// 2024-11-03 01:30 happens twice in New York: -0400 then -0500.
	first := time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC).UnixMilli()
	second := first + 3_600_000
	p, err := Compile(call("DATE_FORMAT", ColumnRef(0, "t", table.TimestampLTZType(3)), s("yyyy-MM-dd HH:mm Z")), WithLocation(ny))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ms   int64
		want string
	}{{first, "2024-11-03 01:30 -0400"}, {first + 1000, "2024-11-03 01:30 -0400"}, {second, "2024-11-03 01:30 -0500"}, {first, "2024-11-03 01:30 -0400"}} {
		r := table.NewRow(table.TimestampMillis(c.ms))
		v, err := p(&r)
		if err != nil {
			t.Fatal(err)
		}
		if v.AsString() != c.want {
			t.Errorf("DATE_FORMAT at %d = %q, want %q", c.ms, v.AsString(), c.want)
		}
	}
}
