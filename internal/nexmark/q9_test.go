package nexmark

import "testing"

// TestQ9RecCodec: q9's per-auction record round-trips in its two lengths,
// and other lengths are refused.
func TestQ9RecCodec(t *testing.T) {
	var c q9RecCodec
	for _, r := range []q9Rec{
		{lo: 1, hi: 2},
		{lo: -5, hi: 1 << 40, has: true, price: 7, time: -9, bidder: 1 << 62},
		{has: true}, // a winner whose fields are all zero is still a winner
	} {
		b := c.Append(nil, r)
		if want := map[bool]int{false: 16, true: 40}[r.has]; len(b) != want {
			t.Fatalf("%+v: %d bytes, want %d", r, len(b), want)
		}
		got, err := c.Decode(b)
		if err != nil || got != r {
			t.Fatalf("%+v: decoded %+v, %v", r, got, err)
		}
	}
	for _, n := range []int{0, 8, 15, 17, 39, 41} {
		if _, err := c.Decode(make([]byte, n)); err == nil {
			t.Fatalf("%d bytes decoded", n)
		}
	}
}

// FuzzQ9RecCodec: any input q9RecCodec decodes encodes back to itself.
func FuzzQ9RecCodec(f *testing.F) {
	var c q9RecCodec
	f.Add(c.Append(nil, q9Rec{lo: 1, hi: 2}))
	f.Add(c.Append(nil, q9Rec{lo: 1, hi: 2, has: true, price: 3, time: 4, bidder: 5}))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := c.Decode(b)
		if err != nil {
			return
		}
		if got := c.Append(nil, r); string(got) != string(b) {
			t.Fatalf("%x decoded to %+v, encoded to %x", b, r, got)
		}
	})
}
