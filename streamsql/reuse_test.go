package streamsql_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// reuseNexmark is the nexmark connector noting whether the engine lets its
// readers reuse rows (connector.RecordReuser).
type reuseNexmark struct {
	*nexgen.TableConnector
	reused *atomic.Int32 // readers told to reuse
}

func (c reuseNexmark) TableSource(ctx context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	s, err := c.TableConnector.TableSource(ctx, t)
	return reuseNexmarkSource{s, c.reused}, err
}

func (c reuseNexmark) ProjectedTableSource(ctx context.Context, t connector.TableContext, fields [][]int) (connector.Source[table.Row], error) {
	s, err := c.TableConnector.ProjectedTableSource(ctx, t, fields)
	return reuseNexmarkSource{s, c.reused}, err
}

type reuseNexmarkSource struct {
	connector.Source[table.Row]
	reused *atomic.Int32
}

func (s reuseNexmarkSource) Open(ctx context.Context, sp connector.Split, pos []byte) (connector.Reader[table.Row], error) {
	r, err := s.Source.Open(ctx, sp, pos)
	if err != nil {
		return nil, err
	}
	return &reuseNexmarkReader{r, s.reused}, nil
}

type reuseNexmarkReader struct {
	connector.Reader[table.Row]
	reused *atomic.Int32
}

func (r *reuseNexmarkReader) ReuseRecords() {
	r.reused.Add(1)
	r.Reader.(connector.RecordReuser).ReuseRecords()
}

// TestNexmarkSQLReusedRowsMatchOracles runs q0-q2 through the nexmark
// connector into a sink that copies what it keeps and says so (as
// blackhole): the source then builds each batch in the rows of the batch
// before, under the Calc's in-place output (checked: the readers are told
// to), and the results must still be the oracles'. q5 and q7 key their rows
// (window aggregation, window-max join): their sources must not reuse.
func TestNexmarkSQLReusedRowsMatchOracles(t *testing.T) {
	gen := nexgen.GeneratorConfig{Events: 3000, Seed: 7, Rate: 1000, Splits: 1}
	events := nexgen.Generate(gen)
	ddl := nexmarkConnectorDDL(t)
	for _, c := range []struct {
		name  string
		reuse bool
	}{{"q0", true}, {"q1", true}, {"q2", true}, {"q5", false}, {"q7", false}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sql, cfg := oracleQuery(t, c.name)
			var reused atomic.Int32
			checkOracleInto(t, c.name, ddl, sql, reuseNexmark{nexgen.TableFactory(), &reused}, events, cfg, true)
			// One split at parallelism 2: one reader.
			if got := reused.Load() > 0; got != c.reuse {
				t.Errorf("reader told to reuse rows: %v, want %v", got, c.reuse)
			}
		})
	}
}

// TestNexmarkSQLStatementSetKeepsRows: a STATEMENT SET sends one projected
// scan of bids to blackhole (releasing) and to a 'collect' sink that keeps
// the rows it is given: the source fans out, so it must not reuse rows, at
// parallelism 1 and 2, and the kept rows (strings included) equal the
// generator's bids.
func TestNexmarkSQLStatementSetKeepsRows(t *testing.T) {
	src := nexmarkConnectorDDL(t)
	var want []string
	for _, e := range nexgen.Generate(nexgen.GeneratorConfig{Events: 3000, Seed: 7, Rate: 1000, Splits: 1}) {
		if e.Bid != nil {
			want = append(want, fmt.Sprintf("%d|%s|%s|%s", e.Bid.Auction, e.Bid.Channel, e.Bid.URL, e.Bid.Extra))
		}
	}
	slices.Sort(want)
	for _, par := range []int{1, 2} {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		var reused atomic.Int32
		sess := streamsql.NewSession(streamsql.Options{Parallelism: par,
			Factories: []connector.TableFactory{reuseNexmark{nexgen.TableFactory(), &reused}, col, builtin.BlackholeFactory()}})
		sess.RegisterNexmarkFunctions()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := sess.Exec(ctx, src+`
CREATE TABLE bh (a BIGINT, c VARCHAR, u VARCHAR, x VARCHAR) WITH ('connector' = 'blackhole');
CREATE TABLE keep (a BIGINT, c VARCHAR, u VARCHAR, x VARCHAR) WITH ('connector' = 'collect');
EXECUTE STATEMENT SET BEGIN
INSERT INTO bh SELECT auction, channel, url, extra FROM bid;
INSERT INTO keep SELECT auction, channel, url, extra FROM bid;
END;`)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if n := reused.Load(); n != 0 {
			t.Errorf("parallelism %d: %d readers told to reuse rows a second sink keeps", par, n)
		}
		var got []string
		for _, r := range col.rows["keep"] {
			got = append(got, fmt.Sprintf("%d|%s|%s|%s", r.Fields[0].AsInt(), r.Fields[1].AsString(), r.Fields[2].AsString(), r.Fields[3].AsString()))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("parallelism %d: kept rows differ from the generator's bids (%d rows, want %d)", par, len(got), len(want))
		}
	}
}
