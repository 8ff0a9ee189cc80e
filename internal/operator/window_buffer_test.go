package operator

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// TestWindowBufferEquivalence: the window buffer (typed tables, fired
// without state or timers) gives the generic path's transcript on random
// inputs: out-of-order and late records, several keys (string, int64 with
// zero and negative keys, and an int32 key whose codec sorts by encoding),
// tumbling and sliding windows, sum and reduce, watermarks, the end of
// input, and snapshots restored into either path in the middle. The generic
// run takes the same snapshots and restores into the generic path.
func TestWindowBufferEquivalence(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		assigner := rapid.SampledFrom([]string{
			"assigner=tumbling size=1s", "assigner=tumbling size=700ms offset=100ms",
			"assigner=sliding size=1s slide=250ms", "assigner=sliding size=300ms slide=1s",
		}).Draw(t, "assigner")
		cfg := fmt.Sprintf("config %s fn=%s key=%s late-side=true", assigner,
			rapid.SampledFrom([]string{"sum", "reduce"}).Draw(t, "fn"),
			rapid.SampledFrom([]string{"string", "int64", "int32"}).Draw(t, "key"))
		var buffered, generic []string
		wm := int64(-500)
		for i := range rapid.IntRange(1, 300).Draw(t, "n") {
			var c, g string
			switch rapid.IntRange(0, 11).Draw(t, fmt.Sprint("op", i)) {
			case 0, 1:
				wm += int64(rapid.IntRange(0, 700).Draw(t, fmt.Sprint("d", i)))
				c = fmt.Sprintf("watermark %d", wm)
			case 2:
				c = fmt.Sprintf("snapshot-restore buffer=%v", rapid.Bool().Draw(t, fmt.Sprint("to", i)))
				g = "snapshot-restore buffer=false"
			default:
				ts := wm + int64(rapid.IntRange(-1500, 1500).Draw(t, fmt.Sprint("ts", i)))
				key := rapid.SampledFrom([]string{"a", "b", "c", "d", "7", "-9"}).Draw(t, fmt.Sprint("k", i))
				c = fmt.Sprintf("record key=%s ts=%d v=%d", key, ts, i)
			}
			if g == "" {
				g = c
			}
			buffered, generic = append(buffered, c), append(generic, g)
		}
		end := []string{"watermark max", "state", "metrics"}
		buffered = append(append([]string{cfg + " buffer=true"}, buffered...), end...)
		generic = append(append([]string{cfg}, generic...), end...)
		got, want := winRunTrace(t, buffered), winRunTrace(t, generic)
		// The snapshot-restore lines differ by their argument only.
		got = strings.ReplaceAll(got, "buffer=true", "buffer=false")
		if got != want {
			t.Fatalf("window buffer and generic path differ\n--- buffer\n%s--- generic\n%s", got, want)
		}
		if !strings.Contains(got, "entries=0 bytes=0 event-timers=0 proc-timers=0\nmetrics") {
			t.Fatalf("state left at the end:\n%s", got)
		}
	})
}
