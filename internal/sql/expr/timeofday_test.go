package expr

import (
	"math/rand/v2"
	"testing"
)

// TestTimeOfDayFieldMatchesExtract: the time-of-day units without the
// calendar give extractField's values, before and after the epoch, at
// midnights and with nanoseconds; the other units have none.
func TestTimeOfDayFieldMatchesExtract(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	n := 0
	for _, unit := range extractUnits {
		f := timeOfDayField(unit)
		if f == nil {
			continue
		}
		n++
		for i := range 20000 {
			ms := r.Int64N(1<<46) - 1<<45
			switch i % 4 {
			case 1:
				ms = ms / msPerDay * msPerDay // a midnight
			case 2:
				ms = ms/msPerDay*msPerDay - 1
			}
			ns := int32(r.IntN(1_000_000))
			if got, want := f(ms, ns), extractField(unit, ms, ns); got != want {
				t.Fatalf("%s of %d ms %d ns: %d, want %d", unit, ms, ns, got, want)
			}
		}
	}
	if n != 6 {
		t.Errorf("%d units of the time of day, want 6", n)
	}
}
