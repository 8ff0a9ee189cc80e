package streamsql_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestCalcWritesInPlaceInOrder: a Calc over the projected nexmark scan
// writes its evaluated outputs into the scan's rows as it evaluates them
// (planner.calcDirectOrder), in an order where none reads a field an
// earlier one wrote: a and b read channel's field (0), c url's (1), and
// a, b, c are written into fields 0, 1, 2, so c goes first, then b, then
// a. Written in the query's order, b and c would read what a and b wrote.
func TestCalcWritesInPlaceInOrder(t *testing.T) {
	gen := nexgen.GeneratorConfig{Events: 3000, Seed: 7, Rate: 1000, Splits: 1}
	var want []string
	for _, e := range nexgen.Generate(gen) {
		if b := e.Bid; b != nil {
			dir := ""
			if parts := strings.Split(b.URL, "/"); len(parts) > 3 {
				dir = parts[3]
			}
			want = append(want, strings.Split(b.Channel, "-")[0]+"|"+strings.ToUpper(b.Channel)+"|"+dir)
		}
	}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{nexgen.TableFactory()}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got []string
	job, _, err := s.Query(ctx, nexmarkConnectorDDL(t)+`
SELECT SPLIT_INDEX(channel, '-', 0) AS a, UPPER(channel) AS b, SPLIT_INDEX(url, '/', 3) AS c FROM bid;`, func(r table.Row) error {
		got = append(got, r.Fields[0].AsString()+"|"+r.Fields[1].AsString()+"|"+r.Fields[2].AsString())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("%d rows, want %d; first differences: %v", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []string) []string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return []string{a[i], b[i]}
		}
	}
	return nil
}
