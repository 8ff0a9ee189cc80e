package format

import (
	"math"
	"testing"

	"github.com/stromio/strom/table"
)

// The per-writer encoder writes what the general one does for timestamps
// at the ends of the int64 range (review of sinkcalc).
func TestCSVRowEncoderTimestampExtremes(t *testing.T) {
	s := table.Schema{Columns: []table.Column{{Name: "ts", Type: table.TimestampType(3)}}}
	f, err := RowCSV(s, RowCSVOptions{Comma: ','})
	if err != nil {
		t.Fatal(err)
	}
	fe := f.(PerWriterEncoder[table.Row]).NewEncoder()
	for _, ms := range []int64{math.MinInt64, math.MinInt64 + 1, math.MinInt64 + 807, math.MinInt64 + 808, math.MinInt64 + 1000, math.MaxInt64, -1, -1000, -1001, -86400001, 253402300799999} {
		row := table.Row{Fields: []table.Value{table.TimestampMillis(ms)}}
		a, _ := f.Encode(row, nil)
		b, _ := fe.Encode(row, nil)
		if string(a) != string(b) {
			t.Errorf("ms %d: general %q fast %q", ms, a, b)
		}
	}
}
