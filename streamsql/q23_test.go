package streamsql_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestNexmarkQ23SQL runs the spec's q23 (a three-way join) over generated
// events: internal/nexmark has no DataStream version of q23, so the
// expected rows are the join computed here (each bid with the person who
// made it and every auction that person sells).
func TestNexmarkQ23SQL(t *testing.T) {
	events, dir := nexmarkInput(t, nexgen.GeneratorConfig{Events: 3000, Seed: 7, Rate: 1000})
	names := map[int64][]string{}
	items := map[int64][]string{}
	for _, e := range events {
		if e.Person != nil {
			names[e.Person.ID] = append(names[e.Person.ID], e.Person.Name)
		}
		if e.Auction != nil {
			items[e.Auction.Seller] = append(items[e.Auction.Seller], e.Auction.ItemName)
		}
	}
	var want []string
	for _, e := range events {
		if bd := e.Bid; bd != nil {
			for _, n := range names[bd.Bidder] {
				for _, it := range items[bd.Bidder] {
					want = append(want, fmt.Sprintf("%d %d %d %s %s", bd.Auction, bd.Bidder, bd.Price, n, it))
				}
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("the generated events give no q23 rows")
	}
	ddl := nexmarkDDL(t)
	q, err := os.ReadFile("../internal/nexmark/sql/q23.sql")
	if err != nil {
		t.Fatal(err)
	}
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	sess := streamsql.NewSession(streamsql.Options{Parallelism: 2,
		Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := sess.Exec(ctx, ddl+strings.ReplaceAll(string(q), "'blackhole'", "'collect'")); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range col.rows["nexmark_q23"] {
		if r.Kind != table.Insert {
			t.Fatalf("row %v: q23 is insert-only", r)
		}
		f := r.Fields
		got = append(got, fmt.Sprintf("%d %d %d %s %s", f[0].AsInt(), f[1].AsInt(), f[2].AsInt(), f[3].AsString(), f[4].AsString()))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("SQL gives %d rows, the join %d (first: %q, want %q)", len(got), len(want), got[:min(3, len(got))], want[:3])
	}
}
