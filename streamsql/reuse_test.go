package streamsql_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
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

// TestNexmarkSQLReusedRowsMatchOracles runs Nexmark queries through the
// nexmark connector into a sink that copies what it keeps and says so (as
// blackhole), at parallelism 1 and 2: where every operator after the scan
// on its goroutine is done with a row when it returns, the source builds
// each batch in the rows of the batch before (checked: the readers are
// told to, or not), and the results must still be the oracles'. q0-q2: the
// Calc's in-place output. q7: the window-max join's route and keyed
// function keep no row (what they keep is encoded into state), chained
// after the scan at parallelism 1; at 2 the rows cross a channel to the
// join. q8: its scan is shared by two Calcs (persons, auctions), which the
// scan's pre-filter runs, each emitting rows of its own: reused at both.
// q5: its HOP count is shared (a fan-out after keyed operators), but
// the sliced aggregation keeps only accumulators and emits rows it
// builds (stream.KeyedProcessCopying): reused at 1 (chained after the
// scan), not at 2 (a channel to the count).
// q11: the session count's aggregator keeps nothing of a row
// (stream.AggregatorFuncs.Releases, the count path of windowcount.go):
// reused at 1, not at 2.
// q19: the append-only Top-N copies a row entering and emits rows it
// builds (stream.KeyedProcessCopying, topn_append.go), in one reused
// buffer when the Calc and the sink after it release their rows: reused
// at 1, not at 2.
// q5, q7, q8 and q11 also run at 100 events/s of event time (30 s, three windows:
// the first ones fire during the run), so rows kept past a batch would be
// seen overwritten. (No bid of that input is at exactly a window end: the
// window-max join's edge rows are TestWindowMaxJoinMatchesRegularJoin's.)
func TestNexmarkSQLReusedRowsMatchOracles(t *testing.T) {
	for _, c := range []struct {
		name  string
		rate  int64
		reuse [2]bool // at parallelism 1, 2
		mb    bool    // with mini-batch (bundles of 1000 rows)
	}{
		{"q0", 1000, [2]bool{true, true}, false}, {"q1", 1000, [2]bool{true, true}, false}, {"q2", 1000, [2]bool{true, true}, false},
		{"q5", 1000, [2]bool{true, false}, false}, {"q5", 100, [2]bool{true, false}, false}, {"q8", 1000, [2]bool{true, true}, false}, {"q8", 100, [2]bool{true, true}, false},
		{"q7", 1000, [2]bool{true, false}, false}, {"q7", 100, [2]bool{true, false}, false},
		{"q11", 1000, [2]bool{true, false}, false}, {"q11", 100, [2]bool{true, false}, false},
		{"q19", 1000, [2]bool{true, false}, false},
		// q18 with mini-batch: the Deduplicate's bundle holds copies of
		// its rows (stream.KeyedProcessCopying, dedup_batch.go), in
		// chunks reused from bundle to bundle when the sink releases its
		// rows: reused at 1, not at 2. Bundles of 1000 rows, so several
		// end within the run and their chunks are reused.
		{"q18", 1000, [2]bool{true, false}, true}, {"q18", 100, [2]bool{true, false}, true},
		// Calcs that share work per subtask (expr.Shared) and write
		// in place (q22, calcDirectOrder).
		{"q21", 1000, [2]bool{true, true}, false}, {"q22", 1000, [2]bool{true, true}, false},
	} {
		for par := 1; par <= 2; par++ {
			t.Run(fmt.Sprintf("%s/rate=%d/p=%d/mb=%t", c.name, c.rate, par, c.mb), func(t *testing.T) {
				t.Parallel()
				gen := nexgen.GeneratorConfig{Events: 3000, Seed: 7, Rate: c.rate, Splits: 1}
				events := nexgen.Generate(gen)
				ddl := strings.ReplaceAll(nexmarkConnectorDDL(t), "rate' = '1000'", fmt.Sprintf("rate' = '%d'", c.rate))
				sql, cfg := oracleQuery(t, c.name)
				if c.mb {
					sql = "SET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.mini-batch.allow-latency' = '1 h';\nSET 'table.exec.mini-batch.size' = '1000';\n" + sql
				}
				var reused atomic.Int32
				checkOracleInto(t, c.name, ddl, sql, reuseNexmark{nexgen.TableFactory(), &reused}, events, cfg, true, par)
				// One split: one reader.
				if got := reused.Load() > 0; got != c.reuse[par-1] {
					t.Errorf("reader told to reuse rows: %v, want %v", got, c.reuse[par-1])
				}
			})
		}
	}
}

// TestNexmarkSQLStatementSetKeepsRows: a STATEMENT SET sends one projected
// scan of bids to blackhole (releasing) and to a 'collect' sink that keeps
// the rows it is given: the source fans out behind the shared scan's
// pre-filter, whose Calcs emit rows of their own, so it may reuse rows, at parallelism 1
// and 2, and the kept rows (strings included) must equal the generator's
// bids (a kept row of the source's would be overwritten).
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
		if n := reused.Load(); n != 1 {
			t.Errorf("parallelism %d: %d readers told to reuse rows behind the copying pre-filter, want 1", par, n)
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
