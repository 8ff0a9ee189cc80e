package streamsql_test

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stromio/strom/connector"
	nexgen "github.com/stromio/strom/connector/nexmark"
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
	src, err := os.ReadFile("../internal/nexmark/sql/ddl.sql")
	if err != nil {
		t.Fatal(err)
	}
	opts := "'connector' = 'nexmark',\n    'seed' = '7',\n    'splits' = '1',"
	ddl := strings.Replace(string(src), "'connector' = 'nexmark',", opts, 1)
	for _, r := range [][2]string{{"'10000000'", "'1000'"}, {"'100000000'", "'3000'"}} {
		ddl = strings.ReplaceAll(ddl, r[0], r[1])
	}
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
