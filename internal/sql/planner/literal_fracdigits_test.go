package planner

import "testing"

// TestLiteralFracDigitsWithOffset: the precision of a TIMESTAMP literal is
// the number of digits after the seconds' '.', whatever zone suffix
// follows; counting after the last ':' took an offset's minutes and typed
// '... 00:00:00.123+08:00' as precision 0, so its CAST dropped the .123.
func TestLiteralFracDigitsWithOffset(t *testing.T) {
	for s, want := range map[string]int{
		"2020-01-01 00:00:00.123+08:00":       3,
		"2020-01-01 00:00:00.5-01:00":         1,
		"2020-01-01 00:00:00.123Z":            3,
		"2020-01-01 00:00:00.123+0800":        3,
		"2020-01-01T00:00:00.123456789-05:30": 9,
		"2020-01-01 00:00:00.1234567891":      9,
		"2020-01-01 00:00:00+08:00":           0,
		"2020-01-01T00:00:00Z":                0,
		"2020-01-01 00:00:00":                 0,
		"2020-01-01 00:00":                    0,
		"2020-01-01":                          0,
	} {
		if got := literalFracDigits(s); got != want {
			t.Errorf("literalFracDigits(%q) = %d, want %d", s, got, want)
		}
	}
}
