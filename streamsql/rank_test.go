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

// TestRankTopNMatchesBatchRanks feeds random scores (many ties, and for
// the changelog input random deletions of live rows) to RANK and
// DENSE_RANK Top-N queries, applies the changelog they emit (a -U/-D of a
// row not in the result fails the test) and compares the result with the
// ranks computed here over the rows left (whole rows repeated in half
// the seeds): RANK = 1 + the number of rows
// of the partition with a higher score, DENSE_RANK = 1 + the number of
// distinct higher scores, kept when <= N.
func TestRankTopNMatchesBatchRanks(t *testing.T) {
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 11))
		changelog := seed%2 == 1
		// Half the seeds repeat whole rows (two player names only), so a
		// position of the result can keep an identical row whose rank
		// changed (+I 9, +I 5, +I 5, -D 9: both 5s move to rank 1).
		dups := seed%4 >= 2
		n := 1 + rng.IntN(3)
		type row struct {
			team, player string
			score        int
		}
		var live []row
		var in strings.Builder
		for i := range 40 {
			if changelog && len(live) > 0 && rng.IntN(4) == 0 {
				j := rng.IntN(len(live))
				r := live[j]
				live = append(live[:j], live[j+1:]...)
				fmt.Fprintf(&in, `{"op": "-D", "team": %q, "player": %q, "score": %d}`+"\n", r.team, r.player, r.score)
				continue
			}
			player := fmt.Sprintf("p%d", i)
			if dups {
				player = fmt.Sprintf("p%d", rng.IntN(2))
			}
			r := row{team: []string{"red", "blue", "green"}[rng.IntN(3)], player: player, score: rng.IntN(5)}
			live = append(live, r)
			op := ""
			if changelog {
				op = `"op": "+I", `
			}
			fmt.Fprintf(&in, `{%s"team": %q, "player": %q, "score": %d}`+"\n", op, r.team, r.player, r.score)
		}
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "input"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "input", "scores.jsonl"), []byte(in.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		src := fmt.Sprintf(`CREATE TABLE scores (team STRING, player STRING, score BIGINT) WITH ('connector' = 'values', 'changelog' = '%t');
CREATE TABLE ranked (team STRING, player STRING, score BIGINT, rk BIGINT) WITH ('connector' = 'collect');
CREATE TABLE dense (team STRING, player STRING, score BIGINT, rk BIGINT) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO ranked SELECT team, player, score, rk FROM (
  SELECT *, RANK() OVER (PARTITION BY team ORDER BY score DESC) AS rk FROM scores) WHERE rk <= %d;
INSERT INTO dense SELECT team, player, score, rk FROM (
  SELECT *, DENSE_RANK() OVER (PARTITION BY team ORDER BY score DESC) AS rk FROM scores) WHERE rk <= %d;
END;`, changelog, n, n)
		got, _, _, err := runCase(t, dir, src, 1)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		var want []string
		for _, r := range live {
			higher, distinct := 0, map[int]bool{}
			for _, o := range live {
				if o.team == r.team && o.score > r.score {
					higher++
					distinct[o.score] = true
				}
			}
			if rank := 1 + higher; rank <= n {
				want = append(want, fmt.Sprintf(`{"table":"ranked","team":%q,"player":%q,"score":%d,"rk":%d}`, r.team, r.player, r.score, rank))
			}
			if dense := 1 + len(distinct); dense <= n {
				want = append(want, fmt.Sprintf(`{"table":"dense","team":%q,"player":%q,"score":%d,"rk":%d}`, r.team, r.player, r.score, dense))
			}
		}
		sort.Strings(want)
		wantText := ""
		if len(want) > 0 {
			wantText = strings.Join(want, "\n") + "\n"
		}
		if final := applyChangelog(t, got); final != wantText {
			t.Fatalf("seed %d (N = %d, changelog %t): result\n%s\nwant\n%s\ninput:\n%s", seed, n, changelog, final, wantText, in.String())
		}
	}
}

// TestWindowRankTopNMatchesBatchRanks is the same comparison for the
// window Top-N by RANK and DENSE_RANK over a tumbling window table
// function: random prices (many ties) at non-decreasing times (no row is
// late), ranked within each 10-second window.
func TestWindowRankTopNMatchesBatchRanks(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 13))
		n := 1 + rng.IntN(3)
		type row struct{ id, price, sec int }
		var rows []row
		var in strings.Builder
		sec := 0
		for i := range 40 {
			sec += rng.IntN(3)
			r := row{id: i, price: rng.IntN(5), sec: sec}
			rows = append(rows, r)
			fmt.Fprintf(&in, `{"id": %d, "price": %d, "ts": "2024-01-01 00:%02d:%02d"}`+"\n", r.id, r.price, r.sec/60, r.sec%60)
		}
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "input"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "input", "bids.jsonl"), []byte(in.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		src := fmt.Sprintf(`CREATE TABLE bids (id BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'values');
CREATE TABLE ranked (w TIMESTAMP(3), id BIGINT, price BIGINT, rk BIGINT) WITH ('connector' = 'collect');
CREATE TABLE dense (w TIMESTAMP(3), id BIGINT, price BIGINT, rk BIGINT) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO ranked SELECT window_start, id, price, rk FROM (
  SELECT *, RANK() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rk
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE rk <= %d;
INSERT INTO dense SELECT window_start, id, price, rk FROM (
  SELECT *, DENSE_RANK() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rk
  FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE rk <= %d;
END;`, n, n)
		got, _, insertOnly, err := runCase(t, dir, src, 1)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if !insertOnly {
			t.Fatalf("seed %d: the window Top-N emitted updates:\n%s", seed, got)
		}
		var want []string
		for _, r := range rows {
			higher, distinct := 0, map[int]bool{}
			for _, o := range rows {
				if o.sec/10 == r.sec/10 && o.price > r.price {
					higher++
					distinct[o.price] = true
				}
			}
			w := 1704067200000 + int64(r.sec/10*10)*1000 // window_start in epoch milliseconds
			if rank := 1 + higher; rank <= n {
				want = append(want, fmt.Sprintf(`{"table":"ranked","op":"+I","w":%d,"id":%d,"price":%d,"rk":%d}`, w, r.id, r.price, rank))
			}
			if dense := 1 + len(distinct); dense <= n {
				want = append(want, fmt.Sprintf(`{"table":"dense","op":"+I","w":%d,"id":%d,"price":%d,"rk":%d}`, w, r.id, r.price, dense))
			}
		}
		sort.Strings(want)
		if wantText := strings.Join(want, "\n") + "\n"; got != wantText {
			t.Fatalf("seed %d (N = %d): got\n%s\nwant\n%s\ninput:\n%s", seed, n, got, wantText, in.String())
		}
	}
}
