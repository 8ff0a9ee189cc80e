package streamsql_test

// Regression tests from the review of branch aggpath (2026-12-06): every
// query's final result with mini-batch off equals it with mini-batch on
// (bundle sizes 3, 50, 100000) at parallelism 1 and 2, over the nexmark and
// datagen connectors, through the paths where the Calc writes into a row of
// its own and the aggregation keeps copies (groupagg_batch.go).

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/datagen"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// reviewAggFinal runs sql and returns the final result of its changelog, sorted.
func reviewAggFinal(t *testing.T, par int, sql string) []string {
	t.Helper()
	s := streamsql.NewSession(streamsql.Options{Parallelism: par, Factories: []connector.TableFactory{datagen.TableFactory(), nexgen.TableFactory()}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cnt := map[string]int{}
	job, _, err := s.Query(ctx, sql, func(r table.Row) error {
		var sb strings.Builder
		for i, v := range r.Fields {
			if i > 0 {
				sb.WriteByte('|')
			}
			sb.WriteString(v.String())
		}
		k := sb.String()
		if r.Kind.IsRetract() {
			cnt[k]--
		} else {
			cnt[k]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k, n := range cnt {
		if n < 0 {
			t.Fatalf("row %s retracted more than inserted", k)
		}
		for range n {
			got = append(got, k)
		}
	}
	slices.Sort(got)
	return got
}

func reviewAggCompare(t *testing.T, pre, q string) {
	t.Helper()
	mb := "SET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.mini-batch.allow-latency' = '1 h';\n"
	for _, par := range []int{1, 2} {
		want := reviewAggFinal(t, par, pre+q)
		for _, size := range []string{"3", "50", "100000"} {
			got := reviewAggFinal(t, par, pre+mb+"SET 'table.exec.mini-batch.size' = '"+size+"';\n"+q)
			if !slices.Equal(got, want) {
				n := 0
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] && n < 5 {
						t.Errorf("par %d size %s: row %d: %s, want %s", par, size, i, got[i], want[i])
						n++
					}
				}
				t.Fatalf("par %d size %s: %d rows, want %d\n%s", par, size, len(got), len(want), q)
			}
		}
	}
}

func TestReviewAggpathNexmarkMiniBatch(t *testing.T) {
	ddl := nexmarkConnectorDDL(t)
	for i, q := range []string{
		`SELECT channel, COUNT(*), MIN(url), MAX(extra), COUNT(DISTINCT bidder), COUNT(DISTINCT url) FROM bid GROUP BY channel;`,
		`SELECT auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd'), COUNT(*), COUNT(*) FILTER (WHERE price < 10000), MIN(price), MAX(price), AVG(price), SUM(price) FROM bid GROUP BY auction, DATE_FORMAT(dateTime, 'yyyy-MM-dd');`,
		`SELECT DATE_FORMAT(dateTime, 'yyyy-MM-dd'), COUNT(DISTINCT bidder), COUNT(DISTINCT bidder) FILTER (WHERE price < 10000), COUNT(DISTINCT auction) FILTER (WHERE price >= 1000000), COUNT(*) FROM bid GROUP BY DATE_FORMAT(dateTime, 'yyyy-MM-dd');`,
		`SELECT MOD(bidder, 7), channel || '-' || CAST(MOD(auction, 3) AS STRING), COUNT(*), MAX(url || extra), MIN(SUBSTRING(extra, 1, 3)) FROM bid GROUP BY MOD(bidder, 7), channel || '-' || CAST(MOD(auction, 3) AS STRING);`,
		`SELECT name, city, COUNT(*), MAX(emailAddress), MIN(creditCard) FROM person GROUP BY name, city;`,
		`SELECT category, COUNT(*), MAX(itemName), MIN(description) FROM auction GROUP BY category;`,
		`SELECT k, COUNT(*), MAX(m) FROM (SELECT channel AS k, url AS m FROM bid UNION ALL SELECT itemName AS k, description AS m FROM auction) GROUP BY k;`,
		`SELECT k, COUNT(*), SUM(c) FROM (SELECT channel AS k, COUNT(*) AS c FROM bid GROUP BY channel, bidder) GROUP BY k;`,
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) { reviewAggCompare(t, ddl, q) })
	}
}

func TestReviewAggpathOwnMiniBatch(t *testing.T) {
	ddl := nexmarkConnectorDDL(t)
	for i, q := range []string{
		`SELECT u, c, COUNT(*), MAX(x), MIN(y), COUNT(DISTINCT b) FROM (SELECT url AS u, channel AS c, extra AS x, url || channel AS y, bidder AS b FROM bid) GROUP BY u, c;`,
		`SELECT c, COUNT(*), MAX(x), MIN(y), COUNT(DISTINCT b), COUNT(DISTINCT y) FROM (SELECT price AS p, channel AS c, extra AS x, DATE_FORMAT(dateTime, 'HH:mm') || channel AS y, MOD(bidder, 10) AS b, auction AS a FROM bid) GROUP BY c;`,
		`SELECT c, COUNT(*), MAX(x), SUM(b) FROM (SELECT channel AS c, channel || 'x' AS x, bidder AS b, price+1 AS p1, price+2 AS p2, price+3 AS p3, price+4 AS p4, price+5 AS p5, price+6 AS p6, price+7 AS p7, price+8 AS p8, price+9 AS p9 FROM bid) GROUP BY c;`,
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) { reviewAggCompare(t, ddl, q) })
	}
}

func TestReviewAggpathDatagenMiniBatch(t *testing.T) {
	ddl := `CREATE TABLE g (id BIGINT, k INT, s STRING, d DECIMAL(12, 2), b BYTES, ts TIMESTAMP_LTZ(3), a ARRAY<INT>, r ROW<x INT, y STRING>, m MAP<STRING, INT>) WITH ('connector' = 'datagen', 'number-of-rows' = '1500', 'seed' = '11',
	'fields.k.min' = '0', 'fields.k.max' = '20', 'fields.s.length' = '2', 'fields.b.length' = '2', 'fields.d.min' = '-5', 'fields.d.max' = '5');
`
	for i, q := range []string{
		`SELECT kk, COUNT(*), MAX(ss), MIN(dd), SUM(dd), COUNT(DISTINCT dd), COUNT(DISTINCT ss), MAX(bb), COUNT(DISTINCT kk2) FROM (SELECT s AS ss, MOD(k, 5) AS kk, d AS dd, b AS bb, k AS kk2, id FROM g) GROUP BY kk;`,
		`SELECT y, COUNT(*), MAX(rx), MIN(ax) FROM (SELECT r.y AS y, r.x AS rx, a[1] AS ax, k FROM g) GROUP BY y;`,
		`SELECT day, COUNT(*), MIN(s2), SUM(MOD(d2, 2)) FROM (SELECT DATE_FORMAT(ts, 'HH') AS day, s || CAST(k AS STRING) AS s2, d AS d2 FROM g) GROUP BY day;`,
		`SELECT rr, COUNT(*) FROM (SELECT r AS rr, k FROM g) GROUP BY rr;`,
		`SELECT aa, COUNT(*) FROM (SELECT a AS aa, k FROM g) GROUP BY aa;`,
		`SELECT ss, COUNT(*), MAX(kk) FROM (SELECT s AS ss, k AS kk, m['a'] AS mm FROM g) GROUP BY ss;`,
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) { reviewAggCompare(t, ddl, q) })
	}
}

func TestReviewAggpathOwnTopNWindow(t *testing.T) {
	ddl := nexmarkConnectorDDL(t)
	for i, q := range []string{
		`SELECT * FROM (SELECT c, u, p, ROW_NUMBER() OVER (PARTITION BY c ORDER BY p DESC) AS rn FROM (SELECT url AS u, channel AS c, price AS p, bidder AS b FROM bid)) WHERE rn <= 3;`,
		`CREATE VIEW v AS SELECT url AS u, channel AS c, price AS p, dateTime, bidder AS b FROM bid;
SELECT c, window_start, COUNT(*), MAX(u), MAX(p) FROM TABLE(TUMBLE(TABLE v, DESCRIPTOR(dateTime), INTERVAL '1' SECOND)) GROUP BY c, window_start, window_end;`,
		`CREATE VIEW v AS SELECT url AS u, channel AS c, price AS p, dateTime, bidder AS b FROM bid;
SELECT c, window_start, COUNT(*), MAX(u), MAX(p) FROM TABLE(HOP(TABLE v, DESCRIPTOR(dateTime), INTERVAL '1' SECOND, INTERVAL '3' SECOND)) GROUP BY c, window_start, window_end;`,
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			one, two := reviewAggFinal(t, 1, ddl+q), reviewAggFinal(t, 2, ddl+q)
			if len(one) == 0 || !slices.Equal(one, two) {
				t.Fatalf("par 1: %d rows, par 2: %d rows", len(one), len(two))
			}
		})
	}
}
