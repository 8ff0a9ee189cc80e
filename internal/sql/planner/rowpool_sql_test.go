package planner_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/sql/planner"
	"github.com/stromio/strom/streamsql"
)

// lockedBuf is the print sink's output (its subtasks write under the
// connector's lock; read after the job).
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// rowPoolCase is a query of TestRowPoolsSameResults: from a file of
// internal/nexmark/sql (file) or its text (sql, after ddl.sql, printed to
// a table "out"), the settings it runs with, and whether its receivers
// give the pre-filters' arrays back.
type rowPoolCase struct {
	name, file, sql, set string
	recycles             bool
}

const miniBatch = "SET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.mini-batch.allow-latency' = '2 s';\nSET 'table.exec.mini-batch.size' = '5000';\n"

var rowPoolCases = []rowPoolCase{
	// JoinRank.
	{name: "q9", file: "q9", recycles: true},
	// JoinAgg, then a mini-batch aggregation.
	{name: "q4", file: "q4", set: miniBatch, recycles: true},
	// q6 as the bench runs it: JoinRank, a Top-N, a GROUP BY.
	{name: "q6", file: "q6_wellformed", recycles: true},
	// TUMBLE window aggregations of persons and of auctions (then a window
	// join).
	{name: "q8", file: "q8", recycles: true},
	// Mini-batch GROUP BYs of bids and of auctions.
	{name: "minibatch-groupby", set: miniBatch, recycles: true, sql: `
CREATE TABLE out (k BIGINT, c BIGINT, m BIGINT) WITH ('connector' = 'print');
INSERT INTO out
SELECT bidder, COUNT(*), MAX(price) FROM bid GROUP BY bidder
UNION ALL
SELECT seller, COUNT(*), MAX(initialBid) FROM auction GROUP BY seller;`},
	// Mini-batch deduplications (keep the last row per key, by the rows'
	// time: one event per millisecond, no ties).
	{name: "minibatch-dedup", set: miniBatch, recycles: true, sql: `
CREATE TABLE out (k BIGINT, a BIGINT, p BIGINT) WITH ('connector' = 'print');
INSERT INTO out
SELECT bidder, auction, price FROM (
  SELECT bidder, auction, price,
         ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY dateTime DESC) AS rn
  FROM bid) WHERE rn = 1
UNION ALL
SELECT seller, id, initialBid FROM (
  SELECT seller, id, initialBid,
         ROW_NUMBER() OVER (PARTITION BY seller ORDER BY dateTime DESC) AS rn
  FROM auction) WHERE rn = 1;`},
	// Receivers that keep their input records (operator.Handler gives
	// them no array back: they report no ReleasesRecords): an unfused
	// regular join and an interval join. With the gate in network.go's
	// Handler always open these cases fail, but on the count of arrays
	// given back only: no SQL plan found shows it in its results (tried:
	// these two and a window join; with the gate open, pools on still
	// equal pools off, and -race reports nothing): what these joins keep
	// is not the arrays they received.
	// stream's TestSideOutputRecycler (a KeyedCoProcess that keeps its
	// records) is the guard that sees the records overwritten.
	{name: "unfused-join", recycles: false, sql: `
CREATE TABLE out (a BIGINT, b BIGINT, p BIGINT, s BIGINT) WITH ('connector' = 'print');
INSERT INTO out
SELECT B.auction, B.bidder, B.price, A.seller
FROM bid AS B JOIN auction AS A ON A.id = B.auction;`},
	{name: "interval-join", recycles: false, sql: `
CREATE TABLE out (a BIGINT, b BIGINT, p BIGINT, s BIGINT) WITH ('connector' = 'print');
INSERT INTO out
SELECT B.auction, B.bidder, B.price, A.seller
FROM bid AS B, auction AS A
WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.dateTime + INTERVAL '2' SECOND;`},
}

// TestRowPoolsSameResults runs Nexmark queries (rowPoolCases) over the
// nexmark generator (random auctions and bids, one event per millisecond:
// no ties on a row's time) with the pre-filters' Calcs building their
// rows in arrays the receivers give back (rowpool.go) and without (a
// fresh array per row, the general path), at parallelism 1 and 2 and
// with a checkpoint interval (barriers between batches), and compares
// the final results (the changelogs applied): equal, and with the pools
// arrays were given back exactly in the cases whose receivers release
// their records (operator.Handler's rule: a head operator reporting
// ReleasesRecords), so each case goes the path it is meant to test. A
// row recycled while a receiver still held it would change a kept or
// pending row and the results (under -race: a write racing a read).
func TestRowPoolsSameResults(t *testing.T) {
	ddl, err := os.ReadFile("../../nexmark/sql/ddl.sql")
	if err != nil {
		t.Fatal(err)
	}
	defer planner.NoRowPoolHook()
	script := strings.Replace(string(ddl), "'100000000'", "'30000'", 1)
	script = strings.ReplaceAll(script, "'10000000'", "'1000'")
	for _, c := range rowPoolCases {
		t.Run(c.name, func(t *testing.T) {
			sql := c.sql
			if c.file != "" {
				text, err := os.ReadFile("../../nexmark/sql/" + c.file + ".sql")
				if err != nil {
					t.Fatal(err)
				}
				sql = strings.Replace(string(text), "'blackhole'", "'print'", 1)
			}
			for _, par := range []int{1, 2} {
				var res [2][]string
				for k, on := range []bool{false, true} {
					recycled := planner.UseRowPools(on)
					out := &lockedBuf{}
					sess := streamsql.NewSession(streamsql.Options{Parallelism: par,
						Factories: []connector.TableFactory{nexgen.TableFactory(), builtin.PrintFactory(out)}})
					set := "SET 'execution.checkpointing.interval' = '50ms';\nSET 'state.checkpoints.dir' = '" + t.TempDir() + "';\n" + c.set
					job, _, err := sess.Submit(context.Background(), set+script+"\n"+sql)
					if err != nil {
						t.Fatal(err)
					}
					if err := job.Wait(); err != nil {
						t.Fatal(err)
					}
					res[k] = applyPrinted(t, out.b.String())
					n := recycled()
					if (n > 0) != (on && c.recycles) {
						t.Fatalf("parallelism %d, pools %v: %d arrays given back", par, on, n)
					}
					if on {
						t.Logf("parallelism %d: %d arrays given back", par, n)
					}
				}
				if len(res[0]) == 0 {
					t.Fatal("no rows")
				}
				if !slices.Equal(res[0], res[1]) {
					t.Fatalf("parallelism %d: %d rows without the pools, %d with; first differences:\n%s", par, len(res[0]), len(res[1]), firstDiff(res[0], res[1]))
				}
			}
		})
	}
}

// applyPrinted applies the print sink's changelog ("0> +I[...]",
// "-U[...]", ...: the subtask, the rows' kinds, then their values) and returns the rows left,
// sorted.
func applyPrinted(t *testing.T, s string) []string {
	t.Helper()
	count := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if i := strings.Index(l, "> "); i >= 0 && i < 4 {
			l = l[i+2:] // the subtask's prefix
		}
		if len(l) < 2 {
			continue
		}
		k, v := l[:2], l[2:]
		switch k {
		case "+I", "+U":
			count[v]++
		case "-U", "-D":
			count[v]--
		default:
			t.Fatalf("printed line %q", l)
		}
	}
	var out []string
	for v, n := range count {
		if n < 0 {
			t.Fatalf("retracted more than inserted: %s", v)
		}
		for range n {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

func firstDiff(a, b []string) string {
	var d []string
	for i := 0; i < max(len(a), len(b)) && len(d) < 6; i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			d = append(d, "- "+x+"\n+ "+y)
		}
	}
	return strings.Join(d, "\n")
}
