package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSoakRecord: every record of the soak producer is 200 bytes of JSON
// that decodes back to its index, key and event time.
func TestSoakRecord(t *testing.T) {
	const t0, rate, keys = 1_764_921_600_123, 50_000, 100
	for _, i := range []int64{0, 1, 99, 12_345, 89_999_999, 1 << 40} {
		ts := soakRecordTs(t0, rate, i)
		b := appendSoakRecord([]byte("junk"), i, keys, ts)[4:]
		if len(b) != soakRecordBytes {
			t.Errorf("record %d: %d bytes, want %d: %s", i, len(b), soakRecordBytes, b)
		}
		var e soakEvent
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("record %d: %v: %s", i, err, b)
		}
		if e.Seq != i || e.Ts != ts || e.Key != "k"+itoa(i%keys) || strings.Trim(e.Pad, string(rune('a'+i%26))) != "" {
			t.Errorf("record %d decodes to %+v", i, e)
		}
	}
	if a, b := soakRecordTs(t0, rate, 49_999), soakRecordTs(t0, rate, 50_000); a != t0+999 || b != t0+1000 {
		t.Errorf("event times %d, %d: want t0+999, t0+1000", a-t0, b-t0)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
