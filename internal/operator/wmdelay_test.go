package operator

import (
	"testing"

	"github.com/stromio/strom/internal/base"
)

func TestDelayWatermark(t *testing.T) {
	for _, c := range []struct{ wm, d, want int64 }{
		{1000, 300, 700},
		{1000, 0, 1000},
		{-5, 10, -15},
		{base.MaxTime, 300, base.MaxTime}, // the end of input stays the end
		{base.MinTime, 300, base.MinTime},
		{base.MinTime + 5, 300, base.MinTime},
	} {
		if got := DelayWatermark(c.wm, c.d); got != c.want {
			t.Errorf("DelayWatermark(%d, %d) = %d, want %d", c.wm, c.d, got, c.want)
		}
	}
}
