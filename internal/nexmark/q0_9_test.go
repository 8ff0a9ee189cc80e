package nexmark

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

// Tests of q0–q9 over small hand-made event lists: each list is split into
// source splits (each in order, as the generator's), the query runs as a
// job at parallelism 1, 2 and 4, and the applied changelog must equal the
// oracle's rows and, where given, the rows expected by hand.

const q09Base = 1_767_225_600_000 // 2026-01-01T00:00:00Z, a multiple of 10 s

// q09Source is a source of fixed splits, each read in order.
type q09Source struct{ splits [][]nexmark.Event }

func (s q09Source) Splits(context.Context) ([]connector.Split, error) {
	out := make([]connector.Split, len(s.splits))
	for i := range out {
		out[i] = connector.Split{ID: "split-" + strconv.Itoa(i), Data: binary.AppendUvarint(nil, uint64(i))}
	}
	return out, nil
}

func (s q09Source) Bounded() bool { return true }

func (s q09Source) Open(_ context.Context, sp connector.Split, pos []byte) (connector.Reader[nexmark.Event], error) {
	i, _ := binary.Uvarint(sp.Data)
	r := &q09Reader{evs: s.splits[i]}
	if pos != nil {
		n, _ := binary.Uvarint(pos)
		r.next = int(n)
	}
	return r, nil
}

type q09Reader struct {
	evs  []nexmark.Event
	next int
}

func (r *q09Reader) Read(_ context.Context, buf []nexmark.Event) (int, error) {
	if r.next >= len(r.evs) {
		return 0, io.EOF
	}
	n := copy(buf, r.evs[r.next:])
	r.next += n
	return n, nil
}

func (r *q09Reader) Position() []byte { return binary.AppendUvarint(nil, uint64(r.next)) }
func (r *q09Reader) Close() error     { return nil }

// q09RunSplits runs query name over the splits at parallelism p.
func q09RunSplits(t *testing.T, name string, splits [][]nexmark.Event, p int) []any {
	t.Helper()
	return q09RunSource(t, name, q09Source{splits}, p)
}

// q09RunSource runs query name over src at parallelism p.
func q09RunSource(t *testing.T, name string, src connector.Source[nexmark.Event], p int) []any {
	t.Helper()
	q, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: p})
	events := stream.FromSource[nexmark.Event](env, src, Watermark(), "events")
	rows, err := Run(context.Background(), env, events, q, Config{})
	if err != nil {
		t.Fatalf("%s at parallelism %d: %v", name, p, err)
	}
	return rows
}

// q09Check runs the query over splits at parallelism 1, 2 and 4 and
// compares the applied result with the oracle over all events and, when
// want is not nil, with want (rows without op).
func q09Check(t *testing.T, name string, splits [][]nexmark.Event, want []any) {
	t.Helper()
	var all []nexmark.Event
	for _, s := range splits {
		all = append(all, s...)
	}
	q09CheckSource(t, name, q09Source{splits}, all, want)
}

// q09CheckSource is q09Check over any source whose events are all.
func q09CheckSource(t *testing.T, name string, src connector.Source[nexmark.Event], all []nexmark.Event, want []any) {
	t.Helper()
	q, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	orows, err := q.Oracle(all, Config{})
	if err != nil {
		t.Fatal(err)
	}
	oracle, err := Canonical(orows, false)
	if err != nil {
		t.Fatal(err)
	}
	if want != nil {
		w, err := Canonical(want, false)
		if err != nil {
			t.Fatal(err)
		}
		if d := q09Diff(w, oracle); d != "" {
			t.Fatalf("%s: oracle differs from the expected rows:\n%s", name, d)
		}
	}
	t.Logf("%s: %d oracle rows", name, len(oracle))
	for _, p := range []int{1, 2, 4} {
		rows := q09RunSource(t, name, src, p)
		got, err := Canonical(rows, q.Updating)
		if err != nil {
			t.Fatalf("%s at parallelism %d: %v", name, p, err)
		}
		if d := q09Diff(oracle, got); d != "" {
			t.Fatalf("%s at parallelism %d differs from the oracle:\n%s", name, p, d)
		}
		if q.Updating {
			if err := q09Changelog(rows); err != nil {
				t.Fatalf("%s at parallelism %d: %v", name, p, err)
			}
		}
	}
}

// q09Diff describes the differences of two sorted multisets ("" if equal).
func q09Diff(want, got []string) string {
	var b strings.Builder
	i, j := 0, 0
	for (i < len(want) || j < len(got)) && b.Len() < 4000 {
		switch {
		case j >= len(got) || (i < len(want) && want[i] < got[j]):
			fmt.Fprintf(&b, "  missing %s\n", want[i])
			i++
		case i >= len(want) || got[j] < want[i]:
			fmt.Fprintf(&b, "  extra   %s\n", got[j])
			j++
		default:
			i++
			j++
		}
	}
	if b.Len() > 0 {
		fmt.Fprintf(&b, "  (%d rows expected, %d got)", len(want), len(got))
	}
	return b.String()
}

// Event constructors; times are offsets in ms from q09Base.

func q09Bid(auction, bidder, price, at int64) nexmark.Event {
	return nexmark.Event{Type: nexmark.TypeBid, Bid: &nexmark.Bid{Auction: auction, Bidder: bidder, Price: price,
		Channel: "Google", URL: "https://www.nexmark.com/a/b/c/item.htm?query=1",
		DateTime: q09Base + at, Extra: "x" + strconv.FormatInt(at, 10)}}
}

func q09Auction(id, seller, category, at, expiresAt int64) nexmark.Event {
	return nexmark.Event{Type: nexmark.TypeAuction, Auction: &nexmark.Auction{ID: id, ItemName: "item" + strconv.FormatInt(id, 10),
		Description: "desc", InitialBid: 100, Reserve: 200, DateTime: q09Base + at, Expires: q09Base + expiresAt,
		Seller: seller, Category: category, Extra: "pad"}}
}

func q09Person(id int64, name, city, state string, at int64) nexmark.Event {
	return nexmark.Event{Type: nexmark.TypePerson, Person: &nexmark.Person{ID: id, Name: name, EmailAddress: "a@b.com",
		CreditCard: "1234 1234 1234 1234", City: city, State: state, DateTime: q09Base + at, Extra: "pad"}}
}

func TestQ0Q1Q2(t *testing.T) {
	s0 := []nexmark.Event{q09Person(1000, "Ann", "Bend", "OR", 0), q09Bid(1230, 1001, 1000, 1), q09Bid(1001, 1001, 3, 2)}
	s1 := []nexmark.Event{q09Auction(1001, 1000, 10, 0, 100), q09Bid(246, 1002, 12345, 5), q09Bid(0, 7, 1, 6)}
	q09Check(t, "q0", [][]nexmark.Event{s0, s1}, []any{
		Q0Row{1230, 1001, 1000, q09Base + 1, "x1"}, Q0Row{1001, 1001, 3, q09Base + 2, "x2"},
		Q0Row{246, 1002, 12345, q09Base + 5, "x5"}, Q0Row{0, 7, 1, q09Base + 6, "x6"},
	})
	q09Check(t, "q1", [][]nexmark.Event{s0, s1}, []any{
		Q1Row{1230, 1001, 908_000, q09Base + 1, "x1"}, Q1Row{1001, 1001, 2_724, q09Base + 2, "x2"},
		Q1Row{246, 1002, 11_209_260, q09Base + 5, "x5"}, Q1Row{0, 7, 908, q09Base + 6, "x6"},
	})
	q09Check(t, "q2", [][]nexmark.Event{s0, s1}, []any{Q2Row{1230, 1000}, Q2Row{246, 12345}, Q2Row{0, 1}})
}

func TestQ1Decimal(t *testing.T) {
	b, err := Q1Row{Price: Times0908(12345)}.Price.MarshalJSON()
	if err != nil || string(b) != "11209.260" {
		t.Fatalf("12345 × 0.908 = %s, %v; want 11209.260", b, err)
	}
}

func TestQ3(t *testing.T) {
	// Persons before and after their auctions, in other splits; filtered
	// states and categories; a seller with two auctions.
	s0 := []nexmark.Event{
		q09Auction(2000, 1000, 10, 0, 10), // seller 1000 comes later
		q09Person(1001, "Bob", "Boise", "ID", 10),
		q09Auction(2001, 1001, 11, 20, 30), // wrong category
		q09Auction(2002, 1002, 10, 30, 40), // seller in WA
		q09Auction(2004, 1003, 10, 35, 40), // seller never seen
	}
	s1 := []nexmark.Event{
		q09Person(1002, "Cid", "Kent", "WA", 1),
		q09Auction(2003, 1001, 10, 15, 40),
		q09Person(1000, "Ann", "Bend", "OR", 40),
		q09Auction(2005, 1000, 10, 50, 60),
		q09Person(1004, "Dee", "Phoenix", "CA", 60),
	}
	q09Check(t, "q3", [][]nexmark.Event{s0, s1}, []any{
		Q3Row{"Ann", "Bend", "OR", 2000}, Q3Row{"Ann", "Bend", "OR", 2005}, Q3Row{"Bob", "Boise", "ID", 2003},
	})
}

func TestQ4(t *testing.T) {
	// Auction 1 (cat 10): bids before it arrives (one out of range), bids
	// raising the max after: final 50. Auction 2 (cat 10): final 25.
	// Auction 3 (cat 11): only out-of-range bids: no contribution. Auction
	// 4 (cat 11): final 7. The max of auction 1 changes several times, so
	// its category average is retracted and updated.
	s0 := []nexmark.Event{
		q09Bid(1, 1, 99, 50),  // before auction 1 starts: out of range
		q09Bid(1, 1, 30, 100), // in range, may arrive before auction 1
		q09Auction(2, 1, 10, 10, 2000),
		q09Bid(2, 1, 10, 300),
		q09Bid(2, 1, 25, 400),
		q09Bid(3, 1, 1000, 5000), // after auction 3 expired
		q09Bid(1, 1, 50, 5000),
	}
	s1 := []nexmark.Event{
		q09Auction(1, 1, 10, 60, 6000),
		q09Bid(1, 1, 40, 200),
		q09Auction(3, 1, 11, 300, 400),
		q09Auction(4, 1, 11, 300, 400),
		q09Bid(4, 1, 7, 400), // at expires: inclusive
		q09Bid(1, 1, 45, 4000),
		q09Bid(1, 1, 60, 6001), // just after expiry
	}
	q09Check(t, "q4", [][]nexmark.Event{s0, s1}, []any{Q4Row{ID: 10, Final: (50 + 25) / 2}, Q4Row{ID: 11, Final: 7}})
}

func TestQ4Changelog(t *testing.T) {
	// One split: the bids of a key arrive in order, but auctions and bids
	// reach the join through two inputs, so their interleaving (and the
	// changelog) may vary; q09Changelog checks its shape, Canonical its
	// result.
	evs := []nexmark.Event{
		q09Auction(1, 1, 10, 0, 1000),
		q09Bid(1, 1, 10, 1),
		q09Auction(2, 1, 10, 2, 1000),
		q09Bid(2, 1, 30, 3), // avg 20
		q09Bid(1, 1, 11, 4), // avg 20 (integer): no change
		q09Bid(1, 1, 14, 5), // avg 22
	}
	rows := q09RunSplits(t, "q4", [][]nexmark.Event{evs}, 1)
	if err := q09Changelog(rows); err != nil {
		t.Fatal(err)
	}
	if last := rows[len(rows)-1].(Q4Row); last != (Q4Row{OpUpdateAfter, 10, 22}) && last != (Q4Row{OpInsert, 10, 22}) {
		t.Fatalf("last row %v, want the average 22", last)
	}
}

// q09Changelog checks the shape of an updating query's changelog: the
// first column after op is the key (q4: category, q6: seller, q9: auction);
// per key, +I only when the key has no row, -U/-D only of the key's current
// row, and -U directly followed (for that key) by +U.
func q09Changelog(rows []any) error {
	type st struct {
		row     string
		present bool
		wantU   bool
	}
	keys := map[string]*st{}
	for i, r := range rows {
		v := reflect.ValueOf(r)
		op := v.Field(0).String()
		key := fmt.Sprint(v.Field(1).Interface())
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		c.Field(0).SetString("")
		row := fmt.Sprintf("%+v", c.Interface())
		k := keys[key]
		if k == nil {
			k = &st{}
			keys[key] = k
		}
		if k.wantU != (op == OpUpdateAfter) {
			return fmt.Errorf("row %d: %s %s: -U and +U of a key must come in pairs", i, op, row)
		}
		switch op {
		case OpInsert:
			if k.present {
				return fmt.Errorf("row %d: +I %s while the key has %s", i, row, k.row)
			}
			k.row, k.present = row, true
		case OpUpdateBefore, OpDelete:
			if !k.present || k.row != row {
				return fmt.Errorf("row %d: %s %s does not retract the key's row %q", i, op, row, k.row)
			}
			k.present, k.wantU = false, op == OpUpdateBefore
		case OpUpdateAfter:
			k.row, k.present, k.wantU = row, true, false
		default:
			return fmt.Errorf("row %d: op %q", i, op)
		}
	}
	return nil
}

func TestQ5(t *testing.T) {
	// Bids at 1 s (auction 1 twice, auction 2 twice), 3 s (auction 2),
	// 11 s (auction 3). Windows of 10 s every 2 s.
	s0 := []nexmark.Event{q09Bid(1, 1, 1, 1000), q09Bid(2, 1, 1, 1500), q09Bid(2, 1, 1, 3000)}
	s1 := []nexmark.Event{q09Bid(1, 1, 1, 1999), q09Bid(2, 1, 1, 2000), q09Bid(3, 1, 1, 11_000)}
	// Window starts: bid at 1000..1999 -> starts -8000,-6000,...,0; at
	// 2000/3000 -> -6000..2000; at 11000 -> 2000..10000.
	w := func(a, n, start int64) Q5Row {
		return Q5Row{Auction: a, Num: n, WindowStart: q09Base + start, WindowEnd: q09Base + start + 10_000}
	}
	want := []any{
		// [-8000, 2000): a1:2, a2:1 (the 1500 bid)
		w(1, 2, -8000),
		// [-6000,4000), [-4000,6000), [-2000,8000), [0,10000): a1:2, a2:3
		w(2, 3, -6000), w(2, 3, -4000), w(2, 3, -2000), w(2, 3, 0),
		// [2000,12000): a2:2 (2000, 3000), a3:1
		w(2, 2, 2000),
		// [4000..10000 starts]: a3 alone
		w(3, 1, 4000), w(3, 1, 6000), w(3, 1, 8000), w(3, 1, 10000),
	}
	q09Check(t, "q5", [][]nexmark.Event{s0, s1}, want)
	// Ties: two auctions with the same count in a window both come out.
	tie := []nexmark.Event{q09Bid(7, 1, 1, 100), q09Bid(8, 1, 1, 200)}
	var wantTie []any
	for s := int64(-8000); s <= 0; s += 2000 {
		wantTie = append(wantTie, w(7, 1, s), w(8, 1, s))
	}
	q09Check(t, "q5", [][]nexmark.Event{tie}, wantTie)
}

func TestQ7(t *testing.T) {
	// Window [0,10s): max 90, reached twice. Window [10s,20s): max 80; a
	// bid of price 90 at exactly 10 s belongs to it but also joins the
	// first window (BETWEEN is inclusive). Window [20s,30s): one bid.
	s0 := []nexmark.Event{q09Bid(1, 1, 90, 500), q09Bid(2, 2, 10, 9999), q09Bid(3, 3, 90, 10_000)}
	s1 := []nexmark.Event{q09Bid(4, 4, 90, 7000), q09Bid(5, 5, 80, 12_000), q09Bid(6, 6, 5, 25_000)}
	// Prices over 80 in [10s,20s) other than the edge bid would change the
	// max; the edge bid's own window max is 90 (itself).
	r := func(a, price, bidder, at int64) Q7Row {
		return Q7Row{Auction: a, Price: price, Bidder: bidder, DateTime: q09Base + at, Extra: "x" + strconv.FormatInt(at, 10)}
	}
	want := []any{r(1, 90, 1, 500), r(4, 90, 4, 7000), r(3, 90, 3, 10_000), r(3, 90, 3, 10_000), r(6, 5, 6, 25_000)}
	q09Check(t, "q7", [][]nexmark.Event{s0, s1}, want)
}

func TestQ8(t *testing.T) {
	// Person 1 and an auction of theirs in the same window; person 2 with
	// an auction in the next window only; person 3 in two windows? (ids
	// are unique, so once) with two auctions in its window.
	s0 := []nexmark.Event{q09Person(1, "Ann", "Bend", "OR", 1000), q09Person(2, "Bob", "Kent", "WA", 9000), q09Auction(10, 3, 10, 9500, 20_000)}
	s1 := []nexmark.Event{q09Auction(11, 1, 10, 2000, 3000), q09Person(3, "Cid", "Bend", "OR", 9100), q09Auction(12, 3, 10, 9900, 20_000), q09Auction(13, 2, 11, 10_000, 20_000)}
	q09Check(t, "q8", [][]nexmark.Event{s0, s1}, []any{
		Q8Row{ID: 1, Name: "Ann", WindowStart: q09Base}, Q8Row{ID: 3, Name: "Cid", WindowStart: q09Base},
	})
}

func TestQ9(t *testing.T) {
	a := func(id, at, exp int64) *nexmark.Auction { return q09Auction(id, 7, 10, at, exp).Auction }
	row := func(au *nexmark.Auction, bidder, price, at int64) Q9Row {
		return Q9Row{ID: au.ID, ItemName: au.ItemName, Description: au.Description, InitialBid: au.InitialBid,
			Reserve: au.Reserve, DateTime: au.DateTime, Expires: au.Expires, Seller: au.Seller, Category: au.Category,
			Extra: au.Extra, BidAuction: au.ID, BidBidder: bidder, BidPrice: price, BidDateTime: q09Base + at}
	}
	a1, a2, a3 := a(1, 100, 1000), a(2, 100, 1000), a(3, 100, 200)
	s0 := []nexmark.Event{
		q09Bid(1, 5, 50, 50),   // before the auction's start: not counted
		q09Bid(1, 5, 40, 90),   // arrives before the auction, too early
		q09Bid(2, 9, 70, 150),  // ties with a later bid of a lower bidder at the same time
		q09Bid(1, 5, 40, 300),  // ties in price with an earlier bid
		q09Bid(3, 1, 10, 5000), // after auction 3 expired
	}
	s1 := []nexmark.Event{
		{Type: nexmark.TypeAuction, Auction: a1},
		{Type: nexmark.TypeAuction, Auction: a2},
		{Type: nexmark.TypeAuction, Auction: a3},
		q09Bid(2, 3, 70, 150),
		q09Bid(1, 6, 40, 200),
		q09Bid(1, 6, 45, 1000), // at expires: counted, wins
	}
	q09Check(t, "q9", [][]nexmark.Event{s0, s1}, []any{row(a1, 6, 45, 1000), row(a2, 3, 70, 150)})
}

func TestQ6(t *testing.T) {
	// Seller 7: auctions 1..12, auction i won at time 10·i for 100·i; a
	// later bid makes auction 1's winner the latest (time 500, 5000), so
	// the last 10 are auctions 4..12 and 1. Seller 8: a tie in price goes
	// to the earlier bid; its auction's later, lower bid does not count.
	var s0, s1 []nexmark.Event
	for i := int64(1); i <= 12; i++ {
		s0 = append(s0, q09Auction(i, 7, 10, i, 1000))
	}
	s0 = append(s0, q09Auction(20, 8, 10, 0, 1000))
	for i := int64(1); i <= 12; i++ {
		s1 = append(s1, q09Bid(i, 1, 100*i, 10*i))
	}
	s1 = append(s1, q09Bid(20, 1, 300, 200), q09Bid(20, 2, 300, 250), q09Bid(1, 3, 5000, 500), q09Bid(20, 2, 10, 600))
	q09Check(t, "q6", [][]nexmark.Event{s0, s1}, []any{
		Q6Row{Seller: 7, AvgPrice: (400 + 500 + 600 + 700 + 800 + 900 + 1000 + 1100 + 1200 + 5000) / 10},
		Q6Row{Seller: 8, AvgPrice: 300},
	})
}

// TestQ5CountsMatchWindowOperator checks q5's sliced counting against the
// engine's sliding-window aggregation on the same records and watermarks,
// with out-of-order and late bids: equal counts, windows and timestamps.
func TestQ5CountsMatchWindowOperator(t *testing.T) {
	type result struct{ auction, num, start, end, ts int64 }
	run := func(build func(in stream.Stream[*nexmark.Bid]) stream.Stream[q5Count]) []result {
		h, err := streamtest.New(build)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		r := rand.New(rand.NewPCG(1, 2))
		now := int64(0)
		for i := range 20_000 {
			now += r.Int64N(20)
			ts := now - r.Int64N(6000) // some are behind the watermark
			b := &nexmark.Bid{Auction: r.Int64N(8), Price: 1, DateTime: ts}
			if err := h.Record(ts, b); err != nil {
				t.Fatal(err)
			}
			if i%50 == 0 {
				if err := h.Watermark(now - 4001); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := h.EndInput(); err != nil {
			t.Fatal(err)
		}
		var out []result
		for _, rec := range h.Output() {
			c := rec.Value
			out = append(out, result{c.Auction, c.Num, c.Start, c.End, rec.TS})
		}
		slices.SortFunc(out, func(a, b result) int {
			if a.end != b.end {
				return cmp.Compare(a.end, b.end)
			}
			return cmp.Compare(a.auction, b.auction)
		})
		return out
	}
	sliced := run(func(in stream.Stream[*nexmark.Bid]) stream.Stream[q5Count] {
		return stream.KeyedProcess(stream.KeyBy(in, func(b *nexmark.Bid) int64 { return b.Auction }),
			func() stream.KeyedProcessFunction[int64, *nexmark.Bid, q5Count] { return &q5Counter{} })
	})
	windowed := run(func(in stream.Stream[*nexmark.Bid]) stream.Stream[q5Count] {
		res := stream.WindowAggregateWithWindow(
			stream.KeyBy(in, func(b *nexmark.Bid) int64 { return b.Auction }).Window(stream.SlidingEventTimeWindows(q5Size, q5Slide)),
			stream.AggregatorFuncs[*nexmark.Bid, int64, int64]{
				CreateFn: func() int64 { return 0 },
				AddFn:    func(_ *nexmark.Bid, n int64) int64 { return n + 1 },
				ResultFn: func(n int64) int64 { return n },
			})
		return stream.Map(res, func(r stream.WindowResult[int64, int64]) q5Count {
			return q5Count{Auction: r.Key, Num: r.Value, Start: r.Window.Start, End: r.Window.End}
		})
	})
	t.Logf("%d window counts", len(windowed))
	if len(windowed) == 0 || !reflect.DeepEqual(sliced, windowed) {
		t.Fatalf("sliced counts (%d) differ from the window operator's (%d)", len(sliced), len(windowed))
	}
}

// TestQ0To9Generated runs the queries over generated events at rates where
// windows fire and joins match.
func TestQ0To9Generated(t *testing.T) {
	for _, cfg := range []nexmark.GeneratorConfig{
		{Events: 20_000, Rate: 1000, Splits: 3, Seed: 1},
		{Events: 12_000, Rate: 10_000, Splits: 2, Seed: 2},
		{Events: 12_000, Rate: 500, Splits: 4, Seed: 3, OutOfOrderGroupSize: 50},
	} {
		evs := nexmark.Generate(cfg)
		for _, name := range []string{"q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"} {
			t.Run(fmt.Sprintf("%s/rate%d-splits%d", name, cfg.Rate, cfg.Splits), func(t *testing.T) {
				q09CheckSource(t, name, nexmark.NewSource(cfg), evs, nil)
			})
		}
	}
}

// BenchmarkQ0To9 measures events per second of each query over the
// generator (included) at parallelism 1, discarding the result; the
// event-time rate is $Q09_RATE (default 100,000 events/s).
func BenchmarkQ0To9(b *testing.B) {
	for _, name := range []string{"q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"} {
		b.Run(name, func(b *testing.B) {
			q, err := Lookup(name)
			if err != nil {
				b.Fatal(err)
			}
			const n = 2_000_000
			rate := int64(100_000)
			if v, err := strconv.ParseInt(os.Getenv("Q09_RATE"), 10, 64); err == nil {
				rate = v
			}
			for b.Loop() {
				env := stream.NewEnvironment(stream.Options{Parallelism: 1})
				events := stream.FromSource[nexmark.Event](env, nexmark.NewSource(nexmark.GeneratorConfig{Events: n, Rate: rate}), Watermark(), "events")
				q.Build(events, Config{}).Discard()
				if err := env.Execute(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
