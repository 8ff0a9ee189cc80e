package nexmark

import (
	"encoding/binary"
	"errors"

	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Q18Row is a q18 changelog row: the last bid of a (bidder, auction).
type Q18Row struct {
	Op       string `json:"op"`
	Auction  int64  `json:"auction"`
	Bidder   int64  `json:"bidder"`
	Price    int64  `json:"price"`
	Channel  string `json:"channel"`
	URL      string `json:"url"`
	DateTime int64  `json:"dateTime"`
	Extra    string `json:"extra"`
}

func init() {
	Register(&Query{
		Name:     "q18",
		Columns:  []string{"auction", "bidder", "price", "channel", "url", "dateTime", "extra"},
		Updating: true,
		Build:    buildQ18,
		Oracle:   oracleQ18,
	})
}

// buildQ18 finds the last bid of every (bidder, auction): ROW_NUMBER() OVER
// (PARTITION BY bidder, auction ORDER BY dateTime DESC) = 1, which Flink
// runs as a row-time deduplication keeping the last row.
//
// Operators: the bid view keyed by (bidder, auction) (16-byte key codec)
// into q18Fn, whose state is the key's current bid in a binary layout
// (appendBid). A bid replaces it when it is later: a larger dateTime, or on
// a tie of dateTime the larger (price, channel, url, extra), compared in
// that order (strings by bytes). Flink breaks such ties by arrival order
// (the later arrival wins), which differs between parallelisms when two
// splits produce the same key in the same millisecond; our rule picks the
// same row whatever the order. A bid equal to the current one in all
// columns changes nothing. Out-of-order bids are not dropped (no window):
// an older bid than the current one is ignored, as in Flink.
//
// The changelog is emitted per record, as Flink without mini-batch: +I for
// a key's first bid, then -U of the old row and +U of the new one.
func buildQ18(events stream.Stream[nexmark.Event], _ Config) Output {
	ks := stream.KeyByCodec(Bids(events), func(b *nexmark.Bid) pairKey {
		return pairKey{A: b.Bidder, B: b.Auction}
	}, pairKeyCodec{})
	rows := stream.KeyedProcess(ks, func() stream.KeyedProcessFunction[pairKey, *nexmark.Bid, Q18Row] { return &q18Fn{} }).
		Name("q18-last-bid")
	return Out(rows)
}

type q18Fn struct {
	last *stream.ValueState[[]byte]
	buf  []byte
}

func (f *q18Fn) Open(ctx *stream.OpenContext) error {
	f.last = stream.NewValueState[[]byte](ctx, "q18-last")
	return nil
}

func (f *q18Fn) ProcessElement(_ *stream.KeyedContext[pairKey], b *nexmark.Bid, out stream.Emitter[Q18Row]) error {
	raw, ok := f.last.Get()
	if ok {
		old, err := parseBid(raw)
		if err != nil {
			return err
		}
		if !q18Later(b, &old) {
			return nil
		}
		o := old.bid()
		out.Emit(q18Row(OpUpdateBefore, &o))
	}
	f.buf = appendBid(f.buf[:0], b)
	f.last.Set(f.buf)
	op := OpInsert
	if ok {
		op = OpUpdateAfter
	}
	out.Emit(q18Row(op, b))
	return nil
}

func (f *q18Fn) OnTimer(*stream.KeyedContext[pairKey], int64, stream.Emitter[Q18Row]) error {
	return nil
}

func q18Row(op string, b *nexmark.Bid) Q18Row {
	return Q18Row{Op: op, Auction: b.Auction, Bidder: b.Bidder, Price: b.Price, Channel: b.Channel, URL: b.URL,
		DateTime: b.DateTime, Extra: b.Extra}
}

// q18Later reports whether b replaces old as the last bid (see buildQ18).
func q18Later(b *nexmark.Bid, old *bidView) bool {
	switch {
	case b.DateTime != old.DateTime:
		return b.DateTime > old.DateTime
	case b.Price != old.Price:
		return b.Price > old.Price
	case b.Channel != string(old.Channel):
		return b.Channel > string(old.Channel)
	case b.URL != string(old.URL):
		return b.URL > string(old.URL)
	}
	return b.Extra > string(old.Extra)
}

// Binary bid layout of the q18-q20 state: auction, bidder, price, dateTime
// (8 bytes each, big endian), then channel and url (uvarint length and
// bytes) and extra (the rest).

// appendBid appends the binary layout of b.
func appendBid(dst []byte, b *nexmark.Bid) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(b.Auction))
	dst = binary.BigEndian.AppendUint64(dst, uint64(b.Bidder))
	dst = binary.BigEndian.AppendUint64(dst, uint64(b.Price))
	dst = binary.BigEndian.AppendUint64(dst, uint64(b.DateTime))
	dst = appendString(dst, b.Channel)
	dst = appendString(dst, b.URL)
	return append(dst, b.Extra...)
}

func appendString(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}

// bidView is a bid in the binary layout, its strings still bytes of the
// encoding (no allocation).
type bidView struct {
	Auction, Bidder, Price, DateTime int64
	Channel, URL, Extra              []byte
}

var errCorruptState = errors.New("nexmark: corrupt query state")

func parseBid(b []byte) (bidView, error) {
	var v bidView
	if len(b) < 32 {
		return v, errCorruptState
	}
	v.Auction = int64(binary.BigEndian.Uint64(b))
	v.Bidder = int64(binary.BigEndian.Uint64(b[8:]))
	v.Price = int64(binary.BigEndian.Uint64(b[16:]))
	v.DateTime = int64(binary.BigEndian.Uint64(b[24:]))
	b = b[32:]
	var ok bool
	if v.Channel, b, ok = cutString(b); !ok {
		return v, errCorruptState
	}
	if v.URL, b, ok = cutString(b); !ok {
		return v, errCorruptState
	}
	v.Extra = b
	return v, nil
}

// cutString splits a uvarint-prefixed string off b.
func cutString(b []byte) (s, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}

// bid copies the view into a Bid (allocating its strings).
func (v *bidView) bid() nexmark.Bid {
	return nexmark.Bid{Auction: v.Auction, Bidder: v.Bidder, Price: v.Price, Channel: string(v.Channel),
		URL: string(v.URL), DateTime: v.DateTime, Extra: string(v.Extra)}
}
