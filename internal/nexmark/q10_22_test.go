package nexmark

import (
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
)

// Tests of q10-q22 on hand-made events (the golden test covers generated
// ones). Helpers are prefixed t22 to stay apart from other test files.

// t22Source reads one split per slice, in order; open keeps the splits
// open (producing nothing) after their events, as an unbounded source.
// batch > 0 limits a read to that many events (the source advances the
// watermark after each read, so small reads move event time during a run).
type t22Source struct {
	splits [][]nexmark.Event
	open   bool
	batch  int
}

func (s t22Source) Splits(context.Context) ([]connector.Split, error) {
	out := make([]connector.Split, len(s.splits))
	for i := range out {
		out[i] = connector.Split{ID: "t22-" + strconv.Itoa(i), Data: binary.AppendUvarint(nil, uint64(i))}
	}
	return out, nil
}

func (s t22Source) Bounded() bool { return !s.open }

func (s t22Source) Open(_ context.Context, sp connector.Split, pos []byte) (connector.Reader[nexmark.Event], error) {
	i, _ := binary.Uvarint(sp.Data)
	r := &t22Reader{events: s.splits[i], open: s.open, batch: s.batch}
	if pos != nil {
		n, _ := binary.Uvarint(pos)
		r.next = int(n)
	}
	return r, nil
}

type t22Reader struct {
	events []nexmark.Event
	next   int
	open   bool
	batch  int
}

func (r *t22Reader) Read(_ context.Context, buf []nexmark.Event) (int, error) {
	if r.batch > 0 && len(buf) > r.batch {
		buf = buf[:r.batch]
	}
	n := copy(buf, r.events[r.next:])
	r.next += n
	if n == 0 && !r.open {
		return 0, io.EOF
	}
	return n, nil
}

func (r *t22Reader) Position() []byte { return binary.AppendUvarint(nil, uint64(r.next)) }
func (r *t22Reader) Close() error     { return nil }

// t22Run runs query name over the splits at parallelism p, reading them in
// reads of t22Batch events.
func t22Run(t *testing.T, name string, splits [][]nexmark.Event, p int, cfg Config) []any {
	t.Helper()
	return t22RunSource(t, name, t22Source{splits: splits, batch: t22Batch}, p, cfg)
}

// t22Batch is the read size of t22Run: small, so that the watermark moves
// during a run.
const t22Batch = 3

func t22RunSource(t *testing.T, name string, src0 t22Source, p int, cfg Config) []any {
	t.Helper()
	q, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	env := stream.NewEnvironment(stream.Options{Parallelism: p})
	src := stream.FromSource[nexmark.Event](env, src0, Watermark(), "t22-source")
	rows, err := Run(context.Background(), env, src, q, cfg)
	if err != nil {
		t.Fatalf("%s p=%d: %v", name, p, err)
	}
	return rows
}

// t22Check runs name at parallelism 1, 2 and 4 and compares each result
// (the changelog applied) with the oracle over all events; it returns the
// raw rows of the run at parallelism 1.
func t22Check(t *testing.T, name string, splits [][]nexmark.Event, cfg Config) []any {
	t.Helper()
	q, _ := Lookup(name)
	oracle, err := q.Oracle(slices.Concat(splits...), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Canonical(oracle, false)
	if err != nil {
		t.Fatal(err)
	}
	var first []any
	for _, p := range []int{1, 2, 4} {
		rows := t22Run(t, name, splits, p, cfg)
		if p == 1 {
			first = rows
		}
		got, err := Canonical(rows, q.Updating)
		if err != nil {
			t.Fatalf("%s p=%d: %v", name, p, err)
		}
		if d := t22Diff(want, got); d != "" {
			t.Fatalf("%s p=%d: %s", name, p, d)
		}
	}
	return first
}

// t22Expect compares canonical rows with expected rows.
func t22Expect(t *testing.T, name string, rows []any, updating bool, want []any) {
	t.Helper()
	got, err := Canonical(rows, updating)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	w, err := Canonical(want, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := t22Diff(w, got); d != "" {
		t.Fatalf("%s: %s", name, d)
	}
}

func t22Diff(want, got []string) string {
	if slices.Equal(want, got) {
		return ""
	}
	return fmt.Sprintf("result differs:\n  want %d rows:\n    %s\n  got %d rows:\n    %s",
		len(want), strings.Join(want, "\n    "), len(got), strings.Join(got, "\n    "))
}

// t22T0 is 2026-01-01T00:00:00Z.
const t22T0 = int64(1767225600000)

func t22Bid(auction, bidder, price, at int64) nexmark.Event {
	return nexmark.Event{Type: nexmark.TypeBid, Bid: &nexmark.Bid{Auction: auction, Bidder: bidder, Price: price,
		Channel: "channel-7", URL: "https://www.nexmark.com/abc/def/ghi/item.htm?query=1&channel_id=7",
		DateTime: t22T0 + at, Extra: "extra"}}
}

func t22BidWith(b nexmark.Bid) nexmark.Event {
	b.DateTime += t22T0
	return nexmark.Event{Type: nexmark.TypeBid, Bid: &b}
}

func t22Auction(id, category, at int64) nexmark.Event {
	return nexmark.Event{Type: nexmark.TypeAuction, Auction: &nexmark.Auction{ID: id, ItemName: "item" + strconv.FormatInt(id, 10),
		Description: "desc", InitialBid: 10, Reserve: 20, DateTime: t22T0 + at, Expires: t22T0 + at + 5000,
		Seller: 1000 + id, Category: category, Extra: "a-extra"}}
}

// t22Ops counts the ops of a changelog.
func t22Ops(t *testing.T, rows []any) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, r := range rows {
		b, _ := json.Marshal(r)
		var m struct {
			Op string `json:"op"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		n[m.Op]++
	}
	return n
}

func TestQ10Files(t *testing.T) {
	// Split 0 covers three minutes, then a row of minute 0 arrives after the
	// partition was closed (it opens a second part file); split 1 has rows
	// that need CSV quoting.
	late := t22Bid(1, 1, 100, 1000)
	late.Bid.Extra = "late"
	s0 := []nexmark.Event{t22Bid(1, 1, 100, 0), t22Bid(2, 2, 200, 30_000), t22Bid(3, 3, 300, 61_000),
		t22Bid(4, 4, 400, 130_000), late}
	q1 := t22Bid(5, 5, 500, 2000)
	q1.Bid.Extra = `a,"b"`
	q2 := t22Bid(6, 6, 600, 3000)
	q2.Bid.Extra = " padded "
	s1 := []nexmark.Event{q1, q2, t22Bid(7, 7, 700, 86_400_000-1)}
	splits := [][]nexmark.Event{s0, s1}
	for _, p := range []int{1, 2} {
		dir := t.TempDir()
		cfg := Config{OutDir: dir}
		rows := t22Run(t, "q10", splits, p, cfg)
		want, _ := oracleQ10(slices.Concat(splits...), cfg)
		t22Expect(t, "q10 rows", rows, false, want)
		files := t22ReadQ10(t, dir)
		t22Expect(t, "q10 files", files, false, want)
		// The late row went to a second part file of its partition.
		seconds, _ := filepath.Glob(filepath.Join(dir, "dt=2026-01-01", "hm=00:00", "part-*-1.csv"))
		if len(seconds) != 1 {
			t.Fatalf("p=%d: want one second part file in 00:00, got %v", p, seconds)
		}
		if _, err := os.Stat(filepath.Join(dir, "dt=2026-01-01", "hm=23:59")); err != nil {
			t.Fatalf("p=%d: %v", p, err)
		}
	}
}

// t22ReadQ10 reads q10's files back into rows (partition from the path).
func t22ReadQ10(t *testing.T, dir string) []any {
	t.Helper()
	var rows []any
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		parts := strings.Split(rel, string(filepath.Separator))
		if len(parts) != 3 || !strings.HasPrefix(parts[0], "dt=") || !strings.HasPrefix(parts[1], "hm=") {
			return fmt.Errorf("unexpected file %s", rel)
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		for _, r := range recs {
			if len(r) != 5 {
				return fmt.Errorf("%s: record %q", rel, r)
			}
			n := make([]int64, 4)
			for i := range n {
				if n[i], err = strconv.ParseInt(r[i], 10, 64); err != nil {
					return err
				}
			}
			rows = append(rows, Q10Row{Auction: n[0], Bidder: n[1], Price: n[2], DateTime: n[3], Extra: r[4],
				Dt: strings.TrimPrefix(parts[0], "dt="), Hm: strings.TrimPrefix(parts[1], "hm=")})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestQ10NoOutDir(t *testing.T) {
	rows := t22Run(t, "q10", [][]nexmark.Event{{t22Bid(1, 1, 1, 0)}}, 1, Config{})
	if len(rows) != 1 || rows[0].(Q10Row).Hm != "00:00" || rows[0].(Q10Row).Dt != "2026-01-01" {
		t.Fatalf("rows %v", rows)
	}
}

func TestQ11Sessions(t *testing.T) {
	s0 := []nexmark.Event{
		t22Bid(1, 1, 1, 0), t22Bid(1, 1, 1, 5000), t22Bid(1, 1, 1, 15_000), // 10 s apart: one session
		t22Bid(1, 1, 1, 25_001),                                                   // 10.001 s: a new one
		t22Bid(1, 2, 1, 30_000), t22Bid(1, 2, 1, 27_000), t22Bid(1, 2, 1, 45_000), // out of order within 4 s
	}
	s1 := []nexmark.Event{t22Bid(1, 2, 1, 36_000), t22Bid(1, 3, 1, 100)}
	t22Check(t, "q11", [][]nexmark.Event{s0, s1}, Config{})
	rows, _ := oracleQ11(slices.Concat(s0, s1), Config{})
	want := []any{
		Q11Row{Bidder: 1, BidCount: 3, WindowStart: t22T0, WindowEnd: t22T0 + 25_000},
		Q11Row{Bidder: 1, BidCount: 1, WindowStart: t22T0 + 25_001, WindowEnd: t22T0 + 35_001},
		Q11Row{Bidder: 2, BidCount: 4, WindowStart: t22T0 + 27_000, WindowEnd: t22T0 + 55_000},
		Q11Row{Bidder: 3, BidCount: 1, WindowStart: t22T0 + 100, WindowEnd: t22T0 + 10_100},
	}
	t22Expect(t, "q11 oracle", rows, false, want)
}

func TestQ11LateBidDropped(t *testing.T) {
	// One split: at 100 s the watermark is 96 s, so a bid at 1 s opens a
	// session [1 s, 11 s) that is already late; one at 95 s joins bidder 1's
	// live session [91 s, 111 s) and is kept.
	s := []nexmark.Event{t22Bid(1, 1, 1, 91_000), t22Bid(1, 1, 1, 100_000), t22Bid(1, 2, 1, 1000), t22Bid(1, 1, 1, 95_000)}
	rows := t22RunSource(t, "q11", t22Source{splits: [][]nexmark.Event{s}, batch: 1}, 1, Config{})
	t22Expect(t, "q11", rows, false, []any{Q11Row{Bidder: 1, BidCount: 3, WindowStart: t22T0 + 91_000, WindowEnd: t22T0 + 110_000}})
}

func TestQ12ManualClock(t *testing.T) {
	clock := stream.NewManualClock(time.UnixMilli(1_000_000))
	env := stream.NewEnvironment(stream.Options{Parallelism: 2, Clock: clock})
	s0 := []nexmark.Event{t22Bid(1, 1, 1, 0), t22Bid(1, 2, 1, 1), t22Bid(1, 1, 1, 2), t22Auction(1, 10, 3)}
	s1 := []nexmark.Event{t22Bid(1, 1, 1, 0), t22Bid(1, 3, 1, 99_999_999)}
	src := stream.FromSource[nexmark.Event](env, t22Source{splits: [][]nexmark.Event{s0, s1}, open: true}, Watermark(), "t22-source")
	q, _ := Lookup("q12")
	rows := q.Build(src, Config{}).Collect()
	job, err := env.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t22Poll(t, "all bids counted", func() bool { return t22RecordsIn(job, "q12-proctime-tumble") == 5 })
	if n := len(rows()); n != 0 {
		t.Fatalf("%d rows before the window ended", n)
	}
	clock.Advance(9998 * time.Millisecond) // 1_009_998: the window [1_000_000, 1_010_000) is still open
	time.Sleep(20 * time.Millisecond)
	if n := len(rows()); n != 0 {
		t.Fatalf("%d rows before the window ended", n)
	}
	clock.Advance(time.Millisecond) // its last millisecond
	t22Poll(t, "the window to fire", func() bool { return len(rows()) == 3 })
	job.Cancel()
	if err := job.Wait(); !errors.Is(err, stream.ErrCanceled) {
		t.Fatal(err)
	}
	got := rows()
	t22Expect(t, "q12", got, false, []any{
		Q12Row{Bidder: 1, BidCount: 3, WindowStart: 1_000_000, WindowEnd: 1_010_000},
		Q12Row{Bidder: 2, BidCount: 1, WindowStart: 1_000_000, WindowEnd: 1_010_000},
		Q12Row{Bidder: 3, BidCount: 1, WindowStart: 1_000_000, WindowEnd: 1_010_000},
	})
	if err := CheckQ12(slices.Concat(s0, s1), got); err != nil {
		t.Fatal(err)
	}
}

func TestQ12BoundedDropsOpenWindows(t *testing.T) {
	clock := stream.NewManualClock(time.UnixMilli(1_000_000))
	env := stream.NewEnvironment(stream.Options{Parallelism: 2, Clock: clock})
	events := []nexmark.Event{t22Bid(1, 1, 1, 0), t22Bid(1, 2, 1, 1)}
	src := stream.FromSource[nexmark.Event](env, t22Source{splits: [][]nexmark.Event{events}}, Watermark(), "t22-source")
	q, _ := Lookup("q12")
	rows, err := Run(context.Background(), env, src, q, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 0 {
		t.Fatalf("rows %v: the window open at the end should be dropped", rows)
	}
	if err := CheckQ12(events, rows); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Oracle(events, Config{}); !errors.Is(err, ErrNotComparable) {
		t.Fatalf("oracle: %v", err)
	}
}

func TestCheckQ12Rejects(t *testing.T) {
	events := []nexmark.Event{t22Bid(1, 1, 1, 0), t22Bid(1, 1, 1, 1), t22Bid(1, 2, 1, 2)}
	ok := Q12Row{Bidder: 1, BidCount: 2, WindowStart: 10_000, WindowEnd: 20_000}
	for _, c := range []struct {
		name string
		rows []any
	}{
		{"misaligned", []any{Q12Row{Bidder: 1, BidCount: 1, WindowStart: 5, WindowEnd: 10_005}}},
		{"wrong size", []any{Q12Row{Bidder: 1, BidCount: 1, WindowStart: 0, WindowEnd: 20_000}}},
		{"empty window", []any{Q12Row{Bidder: 1, BidCount: 0, WindowStart: 0, WindowEnd: 10_000}}},
		{"duplicate", []any{ok, ok}},
		{"too many", []any{Q12Row{Bidder: 2, BidCount: 2, WindowStart: 0, WindowEnd: 10_000}}},
		{"unknown bidder", []any{Q12Row{Bidder: 9, BidCount: 1, WindowStart: 0, WindowEnd: 10_000}}},
		{"wrong type", []any{Q11Row{}}},
	} {
		if err := CheckQ12(events, c.rows); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if err := CheckQ12(events, []any{ok}); err != nil {
		t.Fatal(err)
	}
}

func TestQ13SideInput(t *testing.T) {
	dir := t.TempDir()
	side := filepath.Join(dir, "side.csv")
	// A header, a key with two rows, keys missing (3) and out of the key
	// space (20000, never matched).
	if err := os.WriteFile(side, []byte("key,value\n1,one\n2,two\n2,deux\n10001,big\n20000,never\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Config{SideInput: side}
	events := [][]nexmark.Event{{t22Bid(1, 1, 10, 0), t22Bid(2, 1, 20, 1), t22Bid(3, 1, 30, 2)}, {t22Bid(10002, 2, 40, 3), t22Bid(20001, 3, 50, 4)}}
	rows := t22Check(t, "q13", events, cfg)
	t22Expect(t, "q13", rows, false, []any{
		Q13Row{Auction: 1, Bidder: 1, Price: 10, DateTime: t22T0, Value: "one"},
		Q13Row{Auction: 2, Bidder: 1, Price: 20, DateTime: t22T0 + 1, Value: "two"},
		Q13Row{Auction: 2, Bidder: 1, Price: 20, DateTime: t22T0 + 1, Value: "deux"},
		Q13Row{Auction: 10002, Bidder: 2, Price: 40, DateTime: t22T0 + 3, Value: "two"},
		Q13Row{Auction: 10002, Bidder: 2, Price: 40, DateTime: t22T0 + 3, Value: "deux"},
		Q13Row{Auction: 20001, Bidder: 3, Price: 50, DateTime: t22T0 + 4, Value: "one"},
	})
}

func TestQ13Errors(t *testing.T) {
	q, _ := Lookup("q13")
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("1,one\nx,two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no side input"},
		{Config{SideInput: filepath.Join(t.TempDir(), "missing.csv")}, "no such file"},
		{Config{SideInput: bad}, "bad.csv:2"},
	} {
		env := stream.NewEnvironment(stream.Options{Parallelism: 2})
		src := stream.FromSource[nexmark.Event](env, t22Source{splits: [][]nexmark.Event{{t22Bid(1, 1, 1, 0)}}}, Watermark(), "t22-source")
		_, err := Run(context.Background(), env, src, q, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.cfg, err, c.want)
		}
	}
}

func TestQ14(t *testing.T) {
	hour := int64(3_600_000)
	// 0.908 × 1,101,322 = 1,000,000.376 (kept); 0.908 × 1,101,321 =
	// 999,999.468 (not); 0.908 × 55,066,079 = 49,999,999.732 (kept);
	// 55,066,080 gives 50,000,000.64 (not).
	s := []nexmark.Event{
		t22BidWith(nexmark.Bid{Auction: 1, Price: 1_101_322, DateTime: 6 * hour, Extra: "ccc"}),
		t22BidWith(nexmark.Bid{Auction: 2, Price: 1_101_321, DateTime: 7 * hour}),
		t22BidWith(nexmark.Bid{Auction: 3, Price: 55_066_079, DateTime: 7*hour + 59*60_000, Extra: "abcC"}),
		t22BidWith(nexmark.Bid{Auction: 4, Price: 55_066_080, DateTime: 8 * hour}),
		t22BidWith(nexmark.Bid{Auction: 5, Price: 2_000_000, DateTime: 8 * hour, Extra: "école c"}),
		t22BidWith(nexmark.Bid{Auction: 6, Price: 2_000_000, DateTime: 18*hour + 3_599_999}),
		t22BidWith(nexmark.Bid{Auction: 7, Price: 2_000_000, DateTime: 19 * hour}),
		t22BidWith(nexmark.Bid{Auction: 8, Price: 2_000_000, DateTime: 20 * hour}),
	}
	rows := t22Check(t, "q14", [][]nexmark.Event{s}, Config{})
	types := map[int64]string{}
	counts := map[int64]int64{}
	for _, r := range rows {
		r := r.(Q14Row)
		types[r.Auction], counts[r.Auction] = r.BidTimeType, r.CCounts
	}
	want := map[int64]string{1: "nightTime", 3: "otherTime", 5: "dayTime", 6: "dayTime", 7: "otherTime", 8: "nightTime"}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("types %v, want %v", types, want)
	}
	if counts[1] != 3 || counts[3] != 1 || counts[5] != 2 {
		t.Fatalf("c_counts %v", counts)
	}
	b, _ := json.Marshal(rows[0])
	if !strings.Contains(string(b), `"price":1000000.376`) {
		t.Fatalf("row %s", b)
	}
}

func TestQ15Q16Q17Changelog(t *testing.T) {
	// Two splits over 12 s of event time and two days, so the watermark
	// advances and keys are flushed several times (-U/+U pairs).
	day := int64(86_400_000)
	var s0, s1 []nexmark.Event
	rnd := rand.New(rand.NewPCG(1, 2))
	prices := []int64{100, 9999, 10_000, 999_999, 1_000_000, 50_000_000}
	channels := []string{"Google", "channel-1", "channel-2"}
	for i := range int64(300) {
		at := day - 6000 + i*40 // crosses midnight
		b := nexmark.Bid{Auction: 1 + rnd.Int64N(5), Bidder: 100 + rnd.Int64N(7), Price: prices[rnd.IntN(len(prices))],
			Channel: channels[rnd.IntN(len(channels))], DateTime: at}
		if i%2 == 0 {
			s0 = append(s0, t22BidWith(b))
		} else {
			b.DateTime -= rnd.Int64N(3000) // out of order within the watermark bound
			s1 = append(s1, t22BidWith(b))
		}
	}
	splits := [][]nexmark.Event{s0, s1}
	for _, name := range []string{"q15", "q16", "q17"} {
		rows := t22Check(t, name, splits, Config{})
		ops := t22Ops(t, rows)
		if ops[OpUpdateBefore] == 0 || ops[OpUpdateBefore] != ops[OpUpdateAfter] || ops[OpDelete] != 0 {
			t.Fatalf("%s: ops %v: want -U/+U pairs", name, ops)
		}
	}
}

func TestQ15Values(t *testing.T) {
	s := []nexmark.Event{t22Bid(1, 1, 100, 0), t22Bid(1, 1, 20_000, 1), t22Bid(2, 1, 5_000_000, 2), t22Bid(2, 2, 200, 3), t22Bid(3, 3, 300, 90_000_000)}
	rows := t22Check(t, "q15", [][]nexmark.Event{s}, Config{})
	t22Expect(t, "q15", rows, true, []any{
		Q15Row{Day: "2026-01-01", TotalBids: 4, Rank1Bids: 2, Rank2Bids: 1, Rank3Bids: 1, TotalBidders: 2, Rank1Bidders: 2, Rank2Bidders: 1, Rank3Bidders: 1,
			TotalAuctions: 2, Rank1Auctions: 2, Rank2Auctions: 1, Rank3Auctions: 1},
		Q15Row{Day: "2026-01-02", TotalBids: 1, Rank1Bids: 1, TotalBidders: 1, Rank1Bidders: 1, TotalAuctions: 1, Rank1Auctions: 1},
	})
	rows = t22Check(t, "q16", [][]nexmark.Event{s}, Config{})
	for _, r := range rows {
		if r := r.(Q16Row); r.Day == "2026-01-02" && r.Minute != "01:00" {
			t.Fatalf("minute %q", r.Minute)
		}
	}
	rows = t22Check(t, "q17", [][]nexmark.Event{s}, Config{})
	t22Expect(t, "q17", rows, true, []any{
		Q17Row{Auction: 1, Day: "2026-01-01", TotalBids: 2, Rank1Bids: 1, Rank2Bids: 1, MinPrice: 100, MaxPrice: 20_000, AvgPrice: 10_050, SumPrice: 20_100},
		Q17Row{Auction: 2, Day: "2026-01-01", TotalBids: 2, Rank1Bids: 1, Rank3Bids: 1, MinPrice: 200, MaxPrice: 5_000_000, AvgPrice: 2_500_100, SumPrice: 5_000_200},
		Q17Row{Auction: 3, Day: "2026-01-02", TotalBids: 1, Rank1Bids: 1, MinPrice: 300, MaxPrice: 300, AvgPrice: 300, SumPrice: 300},
	})
}

func TestQ18LastBid(t *testing.T) {
	bid := func(bidder, price, at int64, extra string) nexmark.Event {
		return t22BidWith(nexmark.Bid{Auction: 1, Bidder: bidder, Price: price, Channel: "c", URL: "u", DateTime: at, Extra: extra})
	}
	s0 := []nexmark.Event{
		bid(1, 10, 1000, "a"), bid(1, 5, 3000, "b"), bid(1, 7, 2000, "older"), // the older one is ignored
		bid(2, 10, 1000, "x"), bid(2, 10, 1000, "x"), // identical: no change
		bid(3, 10, 5000, "a"),
	}
	s1 := []nexmark.Event{bid(3, 11, 5000, "a"), bid(3, 10, 5000, "b"), bid(4, 1, 0, "")} // ties on dateTime
	rows := t22Check(t, "q18", [][]nexmark.Event{s0, s1}, Config{})
	row := func(bidder, price, at int64, extra string) Q18Row {
		return Q18Row{Auction: 1, Bidder: bidder, Price: price, Channel: "c", URL: "u", DateTime: t22T0 + at, Extra: extra}
	}
	t22Expect(t, "q18", rows, true, []any{row(1, 5, 3000, "b"), row(2, 10, 1000, "x"), row(3, 11, 5000, "a"), row(4, 1, 0, "")})
	ops := t22Ops(t, rows)
	if ops[OpInsert] != 4 || ops[OpUpdateBefore] != ops[OpUpdateAfter] {
		t.Fatalf("ops %v", ops)
	}
}

func TestQ19TopN(t *testing.T) {
	// Auction 1 gets 40 bids with many equal prices from two splits;
	// auction 2 only 3.
	rnd := rand.New(rand.NewPCG(3, 4))
	var s0, s1 []nexmark.Event
	for i := range int64(40) {
		e := t22BidWith(nexmark.Bid{Auction: 1, Bidder: rnd.Int64N(4), Price: 100 * (1 + rnd.Int64N(8)), Channel: "c",
			DateTime: rnd.Int64N(5) * 1000, Extra: strconv.FormatInt(i%3, 10)})
		if i%2 == 0 {
			s0 = append(s0, e)
		} else {
			s1 = append(s1, e)
		}
	}
	s0 = append(s0, t22Bid(2, 1, 5, 0), t22Bid(2, 1, 50, 1), t22Bid(2, 1, 500, 2))
	rows := t22Check(t, "q19", [][]nexmark.Event{s0, s1}, Config{})
	final, err := Canonical(rows, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(final) != 13 {
		t.Fatalf("%d rows, want 10 + 3", len(final))
	}
	for _, r := range rows {
		if r := r.(Q19Row); r.RankNumber < 1 || r.RankNumber > 10 {
			t.Fatalf("rank %d", r.RankNumber)
		}
	}
	if ops := t22Ops(t, rows); ops[OpUpdateBefore] == 0 || ops[OpDelete] != 0 {
		t.Fatalf("ops %v", ops)
	}
}

func TestQ19Identical(t *testing.T) {
	var s []nexmark.Event
	for range 12 {
		s = append(s, t22Bid(1, 1, 7, 0))
	}
	rows := t22Check(t, "q19", [][]nexmark.Event{s}, Config{})
	if final, _ := Canonical(rows, true); len(final) != 10 {
		t.Fatalf("%d rows", len(final))
	}
}

func TestQ20Join(t *testing.T) {
	s0 := []nexmark.Event{
		t22Bid(1, 1, 10, 0), // before its auction
		t22Auction(1, 10, 1),
		t22Bid(1, 2, 20, 2), // after it
		t22Auction(2, 11, 3),
		t22Bid(2, 3, 30, 4), // other category
		t22Bid(3, 4, 40, 5), // auction never seen
	}
	s1 := []nexmark.Event{t22Bid(1, 5, 50, 0), t22Auction(4, 10, 1), t22Auction(4, 10, 2), t22Bid(4, 6, 60, 3)} // an id twice
	rows := t22Check(t, "q20", [][]nexmark.Event{s0, s1}, Config{})
	if len(rows) != 5 {
		t.Fatalf("%d rows, want 3 + 2", len(rows))
	}
	b, _ := json.Marshal(rows[0])
	for _, col := range []string{`"bid_dateTime"`, `"auction_dateTime"`, `"bid_extra":"extra"`, `"auction_extra":"a-extra"`, `"category":10`} {
		if !strings.Contains(string(b), col) {
			t.Fatalf("row %s has no %s", b, col)
		}
	}
}

func TestQ21(t *testing.T) {
	bid := func(channel, url string) nexmark.Event {
		return t22BidWith(nexmark.Bid{Auction: 1, Bidder: 1, Price: 1, Channel: channel, URL: url})
	}
	s := []nexmark.Event{
		bid("Apple", "https://x/item.htm?query=1&channel_id=99"), // hot wins over the URL
		bid("GOOGLE", ""), bid("facebook", ""), bid("Baidu", "x"),
		bid("channel-1", "https://x/item.htm?query=1&channel_id=1234"),
		bid("channel-2", "https://x/item.htm?query=1"),            // neither: dropped
		bid("channel-3", "channel_id=5&a=1"),                      // at the start
		bid("channel-4", "https://x/?xchannel_id=6&channel_id=7"), // not after '&' or '^' first
		bid("channel-5", "https://x/?a=1&channel_id=&b=2"),        // empty, kept
		bid("", ""),
	}
	rows := t22Check(t, "q21", [][]nexmark.Event{s}, Config{})
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.(Q21Row).ChannelID)
	}
	if want := []string{"0", "1", "2", "3", "1234", "5", "7", ""}; !slices.Equal(ids, want) {
		t.Fatalf("ids %q, want %q", ids, want)
	}
}

// TestQ21ChannelIDMatchesRegexp compares the hand-written extraction with
// the regular expression on many strings made of the pattern's pieces.
func TestQ21ChannelIDMatchesRegexp(t *testing.T) {
	re := regexp.MustCompile(`(&|^)channel_id=([^&]*)`)
	pieces := []string{"channel_id=", "&", "x", "=", "channel_id", "id=", "?", "&&", "c", ""}
	rnd := rand.New(rand.NewPCG(5, 6))
	for range 50_000 {
		var sb strings.Builder
		for range rnd.IntN(7) {
			sb.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		s := sb.String()
		got, ok := q21ChannelID(s)
		m := re.FindStringSubmatch(s)
		if ok != (m != nil) || (ok && got != m[2]) {
			t.Fatalf("%q: got %q %v, regexp %q", s, got, ok, m)
		}
	}
}

func FuzzQ21ChannelID(f *testing.F) {
	re := regexp.MustCompile(`(&|^)channel_id=([^&]*)`)
	for _, s := range []string{"", "channel_id=1", "a&channel_id=2&b", "xchannel_id=1&channel_id=", "&channel_id=&channel_id=3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := q21ChannelID(s)
		m := re.FindStringSubmatch(s)
		if ok != (m != nil) || (ok && got != m[2]) {
			t.Fatalf("%q: got %q %v, regexp %q", s, got, ok, m)
		}
	})
}

func TestQ22(t *testing.T) {
	bid := func(url string) nexmark.Event {
		return t22BidWith(nexmark.Bid{Auction: 1, Bidder: 1, Price: 1, Channel: "c", URL: url})
	}
	s := []nexmark.Event{
		bid("https://www.nexmark.com/abc/de_f/ghi/item.htm?query=1"),
		bid("https://www.nexmark.com/abc/def"), bid("https://www.nexmark.com/abc/"), bid("https://www.nexmark.com"),
		bid("a//b///"), bid(""),
	}
	rows := t22Check(t, "q22", [][]nexmark.Event{s}, Config{})
	var got []string
	for _, r := range rows {
		b, _ := json.Marshal(r)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		got = append(got, fmt.Sprintf("%v|%v|%v", m["dir1"], m["dir2"], m["dir3"]))
	}
	// "a//b///" splits into a, "", b, "", "", "": tokens 3..5 are empty.
	want := []string{"abc|de_f|ghi", "abc|def|<nil>", "abc||<nil>", "<nil>|<nil>|<nil>", "||", "<nil>|<nil>|<nil>"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func FuzzQ22(f *testing.F) {
	for _, s := range []string{"", "/", "a/b/c/d/e/f/g", "https://www.nexmark.com/a/b/c/item.htm"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, url string) {
		ev := []nexmark.Event{t22BidWith(nexmark.Bid{URL: url})}
		want, _ := oracleQ22(ev, Config{})
		env := stream.NewEnvironment(stream.Options{})
		src := stream.FromSource[nexmark.Event](env, t22Source{splits: [][]nexmark.Event{ev}}, Watermark(), "t22-source")
		q, _ := Lookup("q22")
		got, err := Run(context.Background(), env, src, q, Config{})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%q: got %v, want %v", url, got, want)
		}
	})
}

// TestQ10To22OutOfOrderGenerated runs every deterministic query of this
// range over generated events permuted within groups of 40 per split (so
// records arrive out of event-time order, though never behind the
// watermark) at parallelism 1, 2 and 4 against its oracle.
func TestQ10To22OutOfOrderGenerated(t *testing.T) {
	cfg := nexmark.GeneratorConfig{Events: 12_000, Seed: 11, Rate: 600, Splits: 3, OutOfOrderGroupSize: 40}.WithDefaults()
	events := nexmark.Generate(cfg)
	side := filepath.Join(t.TempDir(), "side.csv")
	f, err := os.Create(side)
	if err != nil {
		t.Fatal(err)
	}
	if err := nexmark.WriteSideInput(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, name := range []string{"q10", "q11", "q13", "q14", "q15", "q16", "q17", "q18", "q19", "q20", "q21", "q22"} {
		t.Run(name, func(t *testing.T) {
			q, _ := Lookup(name)
			qcfg := Config{SideInput: side}
			oracle, err := q.Oracle(events, qcfg)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := Canonical(oracle, false)
			if len(want) == 0 {
				t.Fatal("empty oracle")
			}
			for _, p := range []int{1, 2, 4} {
				qcfg.OutDir = t.TempDir()
				env := stream.NewEnvironment(stream.Options{Parallelism: p})
				src := stream.FromSource[nexmark.Event](env, nexmark.NewSource(cfg), Watermark(), "nexmark")
				rows, err := Run(context.Background(), env, src, q, qcfg)
				if err != nil {
					t.Fatalf("p=%d: %v", p, err)
				}
				got, err := Canonical(rows, q.Updating)
				if err != nil {
					t.Fatalf("p=%d: %v", p, err)
				}
				if d := t22Diff(want, got); d != "" {
					t.Fatalf("p=%d: %d rows vs %d: %.2000s", p, len(got), len(want), d)
				}
				if name == "q10" {
					t22Expect(t, "q10 files", t22ReadQ10(t, qcfg.OutDir), false, oracle)
				}
			}
		})
	}
}

func t22Poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func t22RecordsIn(job *stream.Job, op string) int64 {
	var n int64
	for _, v := range job.View() {
		for _, o := range v.Operators {
			if o.Name == op {
				for _, s := range o.Subtasks {
					n += s.RecordsIn
				}
			}
		}
	}
	return n
}

// Allocation checks of the stateless queries' functions (the output row
// aside, nothing may be allocated per record).
func TestStatelessNoAllocs(t *testing.T) {
	b := t22Bid(1, 2, 2_000_000, 5000).Bid
	b.URL = "https://www.nexmark.com/abc/def/ghi/item.htm?query=1&channel_id=123"
	n := testing.AllocsPerRun(100, func() {
		_, _ = q21ChannelID(b.URL)
		_, _ = q21HotID("Facebook")
		_ = dayString(epochDay(b.DateTime))
		_ = hhmmNames[minuteOfDay(b.DateTime)]
		_ = q14TimeType[minuteOfDay(b.DateTime)/60]
		u := b.URL
		var d OptString
		for range 4 {
			d, u, _ = q22Token(u)
		}
		_ = d
	})
	if n != 0 {
		t.Fatalf("%v allocations per record", n)
	}
}
