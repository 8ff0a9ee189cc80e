package streamsql_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestJoinTopNMatchesOracle runs q9's plan shape (an inner regular join
// of auctions and bids on the auction id with the bid's time BETWEEN the
// auction's, then ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price
// DESC, B.t) <= N) over random events of one source table (so both join
// inputs see them in the file's order): few ids (several auctions per id,
// some repeated whole), NULL ids, NULL and tied prices, bids before their
// auction and outside its range. The changelog must apply cleanly, and
// the result is compared with the top N of all the pairs computed here:
// the pairs in the order the join emits them (when the later row of the
// pair arrives, with the earlier rows in arrival order), sorted stably
// by price (NULLs last) descending and time ascending. It covers the
// join's and the Top-N's decode caches (rows read back from state
// unchanged, rows just written) and the state read without a copy.
func TestJoinTopNMatchesOracle(t *testing.T) {
	type auction struct {
		id     *int
		lo, hi int
		name   string
	}
	type bid struct {
		id            *int
		bidder, price int
		nullPrice     bool
		t             int
	}
	type pair struct {
		a auction
		b bid
	}
	num := func(p *int) string {
		if p == nil {
			return "null"
		}
		return fmt.Sprint(*p)
	}
	for seed := range uint64(24) {
		rng := rand.New(rand.NewPCG(seed, 9))
		n := 1 + rng.IntN(3)
		var in strings.Builder
		var as []auction
		var bs []bid
		var pairs []pair
		cond := func(a auction, b bid) bool {
			return a.id != nil && b.id != nil && *a.id == *b.id && b.t >= a.lo && b.t <= a.hi
		}
		for i := range 60 {
			var id *int
			if rng.IntN(12) > 0 {
				v := rng.IntN(4)
				id = &v
			}
			if rng.IntN(5) == 0 {
				a := auction{id: id, lo: rng.IntN(10), name: fmt.Sprintf("item%d", rng.IntN(3))}
				a.hi = a.lo + rng.IntN(15)
				if len(as) > 0 && rng.IntN(4) == 0 {
					a = as[rng.IntN(len(as))] // a repeated auction row
				}
				fmt.Fprintf(&in, `{"k": "A", "id": %s, "lo": %d, "hi": %d, "name": %q}`+"\n", num(a.id), a.lo, a.hi, a.name)
				for _, b := range bs {
					if cond(a, b) {
						pairs = append(pairs, pair{a, b})
					}
				}
				as = append(as, a)
				continue
			}
			b := bid{id: id, bidder: i, price: rng.IntN(4), nullPrice: rng.IntN(8) == 0, t: rng.IntN(25)}
			price := fmt.Sprint(b.price)
			if b.nullPrice {
				price = "null"
			}
			fmt.Fprintf(&in, `{"k": "B", "id": %s, "bidder": %d, "price": %s, "t": %d}`+"\n", num(b.id), b.bidder, price, b.t)
			for _, a := range as {
				if cond(a, b) {
					pairs = append(pairs, pair{a, b})
				}
			}
			bs = append(bs, b)
		}
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "input"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "input", "ev.jsonl"), []byte(in.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		src := fmt.Sprintf(`CREATE TABLE ev (k STRING, id BIGINT, lo BIGINT, hi BIGINT, name STRING, bidder BIGINT, price BIGINT, t BIGINT) WITH ('connector' = 'values');
CREATE VIEW auction AS SELECT id, lo, hi, name FROM ev WHERE k = 'A';
CREATE VIEW bid AS SELECT id AS auction, bidder, price, t FROM ev WHERE k = 'B';
CREATE TABLE top (id BIGINT, lo BIGINT, hi BIGINT, name STRING, bidder BIGINT, price BIGINT, t BIGINT, rn BIGINT) WITH ('connector' = 'collect');
INSERT INTO top SELECT id, lo, hi, name, bidder, price, t, rn FROM (
  SELECT A.*, B.bidder, B.price, B.t, ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.t ASC) AS rn
  FROM auction A, bid B WHERE A.id = B.auction AND B.t BETWEEN A.lo AND A.hi) WHERE rn <= %d;`, n)
		got, _, _, err := runCase(t, dir, src, 1)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		byID := map[int][]pair{}
		for _, p := range pairs {
			byID[*p.a.id] = append(byID[*p.a.id], p)
		}
		var want []string
		for id, ps := range byID {
			sort.SliceStable(ps, func(i, j int) bool {
				x, y := ps[i].b, ps[j].b
				if x.nullPrice != y.nullPrice {
					return y.nullPrice // NULLs last (descending)
				}
				if !x.nullPrice && x.price != y.price {
					return x.price > y.price
				}
				return x.t < y.t
			})
			for k, p := range ps[:min(n, len(ps))] {
				price := fmt.Sprint(p.b.price)
				if p.b.nullPrice {
					price = "null"
				}
				want = append(want, fmt.Sprintf(`{"table":"top","id":%d,"lo":%d,"hi":%d,"name":%q,"bidder":%d,"price":%s,"t":%d,"rn":%d}`,
					id, p.a.lo, p.a.hi, p.a.name, p.b.bidder, price, p.b.t, k+1))
			}
		}
		sort.Strings(want)
		wantText := ""
		if len(want) > 0 {
			wantText = strings.Join(want, "\n") + "\n"
		}
		if final := applyChangelog(t, got); final != wantText {
			t.Fatalf("seed %d (N = %d): result\n%s\nwant\n%s\ninput:\n%s", seed, n, final, wantText, in.String())
		}
	}
}

// TestJoinCalcWritesIntoPairs: the Calc over a regular join writes its
// rows into the join's pair arrays (allocated with room for them): an
// output wider than the pair, columns read after an output was written
// over them (swapped, repeated), computed expressions, a filter. Every
// pair is checked against the values computed here.
func TestJoinCalcWritesIntoPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var in strings.Builder
	type row struct {
		side string
		k, v int
	}
	var ls, rs []row
	for range 80 {
		r := row{side: []string{"L", "R"}[rng.IntN(2)], k: rng.IntN(5), v: rng.IntN(100)}
		fmt.Fprintf(&in, `{"side": %q, "k": %d, "v": %d}`+"\n", r.side, r.k, r.v)
		if r.side == "L" {
			ls = append(ls, r)
		} else {
			rs = append(rs, r)
		}
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "input"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "input", "ev.jsonl"), []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `CREATE TABLE ev (side STRING, k BIGINT, v BIGINT) WITH ('connector' = 'values');
CREATE VIEW l AS SELECT k, v FROM ev WHERE side = 'L';
CREATE VIEW r AS SELECT k, v FROM ev WHERE side = 'R';
CREATE TABLE out (rv BIGINT, lv BIGINT, k BIGINT, s BIGINT, lv2 BIGINT, d BIGINT, rv2 BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT r.v, l.v, l.k, l.v + r.v, l.v, r.v - l.v, r.v FROM l, r WHERE l.k = r.k AND l.v <> r.v;`
	got, _, _, err := runCase(t, dir, src, 1)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range ls {
		for _, b := range rs {
			if a.k == b.k && a.v != b.v {
				want = append(want, fmt.Sprintf(`{"table":"out","op":"+I","rv":%d,"lv":%d,"k":%d,"s":%d,"lv2":%d,"d":%d,"rv2":%d}`,
					b.v, a.v, a.k, a.v+b.v, a.v, b.v-a.v, b.v))
			}
		}
	}
	sort.Strings(want)
	if wantText := strings.Join(want, "\n") + "\n"; got != wantText {
		t.Fatalf("got\n%s\nwant\n%s", got, wantText)
	}
}

// TestJoinRankSameChangelog runs q9's shape over random events of one
// source table (both join inputs see them in the file's order) whose
// auction ids are a stated unique key among the auction rows (the test
// connector's 'unique-key-tag', as the nexmark connector's): the plan
// fuses the join, the Calc and the Top-N (planner/joinrank.go, EXPLAIN's
// JoinRank), and the same query with a state TTL (never reached here)
// keeps the three operators. The two changelogs must be the same, row for
// row and in order: bids before and after their auction, bids of ids
// without one, NULL ids and prices, tied prices and times, N = 1..3.
func TestJoinRankSameChangelog(t *testing.T) {
	num := func(rng *rand.Rand, v int) string {
		if rng.IntN(10) == 0 {
			return "null"
		}
		return fmt.Sprint(v)
	}
	for seed := range uint64(16) {
		rng := rand.New(rand.NewPCG(seed, 21))
		n := 1 + rng.IntN(3)
		var in strings.Builder
		seen := map[int]bool{}
		for i := range 80 {
			id := rng.IntN(8)
			if rng.IntN(5) == 0 && !seen[id] {
				seen[id] = true
				lo := rng.IntN(10)
				fmt.Fprintf(&in, `{"k": 1, "id": %d, "lo": %d, "hi": %d, "name": "item%d"}`+"\n", id, lo, lo+rng.IntN(15), rng.IntN(3))
				continue
			}
			fmt.Fprintf(&in, `{"k": 2, "id": %s, "bidder": %d, "price": %s, "t": %d}`+"\n", num(rng, id), i, num(rng, rng.IntN(4)), rng.IntN(25))
		}
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "input"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "input", "ev.jsonl"), []byte(in.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		ddl := `CREATE TABLE ev (k INT, id BIGINT, lo BIGINT, hi BIGINT, name STRING, bidder BIGINT, price BIGINT, t BIGINT) WITH ('connector' = 'values', 'unique-key' = 'id', 'unique-key-tag' = 'k=1');
CREATE VIEW auction AS SELECT id, lo, hi, name FROM ev WHERE k = 1;
CREATE VIEW bid AS SELECT id AS auction, bidder, price, t FROM ev WHERE k = 2;
CREATE TABLE top (id BIGINT, lo BIGINT, hi BIGINT, name STRING, bidder BIGINT, price BIGINT, t BIGINT, rn BIGINT) WITH ('connector' = 'collect');
`
		ins := fmt.Sprintf(`INSERT INTO top SELECT id, lo, hi, name, bidder, price, t, rn FROM (
  SELECT A.*, B.bidder, B.price, B.t, ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.t ASC) AS rn
  FROM auction A, bid B WHERE A.id = B.auction AND B.t BETWEEN A.lo AND A.hi) WHERE rn <= %d;`, n)
		var got [2]string
		for i, pre := range []string{"", "SET 'table.exec.state.ttl' = '1000 h';\n"} {
			rows, _, _, err := runCase(t, dir, pre+ddl+ins, 1)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			got[i] = rows
			_, plan, _, err := runCase(t, dir, pre+ddl+"EXPLAIN "+ins, 1)
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			if fused := strings.Contains(plan, "JoinRank("); fused != (i == 0) {
				t.Fatalf("seed %d: fused %v, want %v:\n%s", seed, fused, i == 0, plan)
			}
		}
		// The two inputs of the join (or of the fused operator) are two
		// channels: how their rows interleave is the scheduler's, so
		// the changelogs are compared key by key (each key's rows in
		// order), and their final rows.
		byKey := func(log string) string {
			var keys []string
			rows := map[string][]string{}
			for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
				i := strings.Index(l, `"id":`)
				k := l[i : i+strings.IndexByte(l[i:], ',')]
				if _, ok := rows[k]; !ok {
					keys = append(keys, k)
				}
				rows[k] = append(rows[k], l)
			}
			sort.Strings(keys)
			var b strings.Builder
			for _, k := range keys {
				b.WriteString(strings.Join(rows[k], "\n") + "\n")
			}
			return b.String()
		}
		if got[0] == "" || byKey(got[0]) != byKey(got[1]) || applyChangelog(t, got[0]) != applyChangelog(t, got[1]) {
			t.Fatalf("seed %d (N = %d): fused\n%s\nunfused\n%s\ninput:\n%s", seed, n, got[0], got[1], in.String())
		}
	}
}
