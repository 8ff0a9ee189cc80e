package planner

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
	"github.com/stromio/strom/table"
)

// TestWindowMaxJoinMatchesRegularJoin feeds random rows and watermarks
// (ties, NULL keys, rows at exactly a window end, late rows) to the
// window-max join and compares its pairs with those of the plan it
// replaces, computed here: the window aggregation's MAX per window (over
// the rows on time: their window had not fired, watermark < end - 1) joined
// with every row on key equality (SQL's `=`: NULL equals nothing) and window_end - size <= ts <= window_end.
func TestWindowMaxJoinMatchesRegularJoin(t *testing.T) {
	const size = 100
	types := []table.Type{table.BigIntType(), table.TimestampType(3), table.BigIntType()} // price, ts, id
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		h, err := streamtest.New(func(s stream.Stream[table.Row]) stream.Stream[table.Row] {
			routed := stream.FlatMap(s, wmjRoute(3, 1, size))
			return stream.KeyedProcess(stream.KeyBy(routed, wmjKey(3, 1, size)), func() stream.KeyedProcessFunction[int64, table.Row, table.Row] {
				return &windowMaxJoinFn{lc: table.NewRowCodecTypes(types...), nl: 3, nr: 4, lKey: 0, size: size}
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		type win struct {
			onTime bool
			hasMax bool
			max    int64
		}
		wins := map[int64]*win{}
		var rows []table.Row
		wm := int64(-1)
		for id := range int64(60) {
			if rng.IntN(5) == 0 {
				wm += int64(rng.IntN(150))
				if err := h.Watermark(wm); err != nil {
					t.Fatal(err)
				}
			}
			ts := max(wm-30, 0) + int64(rng.IntN(120))
			if rng.IntN(5) == 0 {
				ts = max(wm-int64(rng.IntN(400)), 0) // late, maybe for a window without rows
			}
			if rng.IntN(4) == 0 {
				ts = ts / size * size // at a window end
			}
			price := table.Int(int64(rng.IntN(4)))
			if rng.IntN(6) == 0 {
				price = table.Null
			}
			r := table.NewRow(price, table.TimestampMillis(ts), table.Int(id))
			rows = append(rows, r)
			end := (ts/size + 1) * size
			if end-1 > wm { // on time for the window aggregation
				w := wins[end]
				if w == nil {
					w = &win{}
					wins[end] = w
				}
				w.onTime = true
				if !price.IsNull() && (!w.hasMax || price.AsInt() > w.max) {
					w.hasMax, w.max = true, price.AsInt()
				}
			}
			if err := h.Record(ts, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.EndInput(); err != nil {
			t.Fatal(err)
		}
		var want []string
		for end, w := range wins {
			mx := table.Null
			if w.hasMax {
				mx = table.Int(w.max)
			}
			for _, r := range rows {
				ts, _ := r.Fields[1].AsTimestamp()
				p := r.Fields[0]
				eq := !p.IsNull() && w.hasMax && p.AsInt() == w.max
				if eq && end-size <= ts && ts <= end {
					want = append(want, table.NewRow(p, r.Fields[1], r.Fields[2],
						table.TimestampMillis(end-size), table.TimestampMillis(end), table.TimestampMillis(end-1), mx).String())
				}
			}
		}
		var got []string
		for _, r := range h.Values() {
			got = append(got, r.String())
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d:\n got %v\nwant %v", seed, got, want)
		}
	}
}

// TestWindowMaxJoinHeaderLayout: the header's codec writes the bytes the
// operator kept as a ValueState[[]byte] before it had one (the flags, then
// the maximum as a little-endian int64), so state in a savepoint taken by
// either reads alike, and it reads them back; other lengths are corrupt.
func TestWindowMaxJoinHeaderLayout(t *testing.T) {
	for _, h := range []wmjHeader{{}, {flags: wmjOnTime | wmjHasMax, max: -3}, {flags: wmjFired | wmjOnTime | wmjHasMax, max: 1 << 40}} {
		var old [9]byte // the earlier setHeader
		old[0] = h.flags
		binary.LittleEndian.PutUint64(old[1:], uint64(h.max))
		b := wmjHeaderCodec{}.Append([]byte{0xAA}, h)
		if !slices.Equal(b[1:], old[:]) || b[0] != 0xAA {
			t.Errorf("%+v: encoded % x, want % x after the prefix", h, b, old)
		}
		got, err := wmjHeaderCodec{}.Decode(old[:])
		if err != nil || got != h {
			t.Errorf("%+v: decoded %+v, %v", h, got, err)
		}
	}
	for _, n := range []int{0, 8, 10} {
		if _, err := (wmjHeaderCodec{}).Decode(make([]byte, n)); err == nil {
			t.Errorf("a header of %d bytes decoded", n)
		}
	}
}
