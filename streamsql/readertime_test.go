package streamsql_test

import (
	"context"
	"fmt"
	"math/rand/v2"
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

// timedNexmark is the nexmark connector counting the reads of its
// readers' own timestamps (connector.Timestamped).
type timedNexmark struct {
	*nexgen.TableConnector
	timed *atomic.Int64
}

func (c timedNexmark) ProjectedTableSource(ctx context.Context, t connector.TableContext, fields [][]int) (connector.Source[table.Row], error) {
	s, err := c.TableConnector.ProjectedTableSource(ctx, t, fields)
	return timedNexmarkSource{s, c.timed}, err
}

type timedNexmarkSource struct {
	connector.Source[table.Row]
	timed *atomic.Int64
}

func (s timedNexmarkSource) Open(ctx context.Context, sp connector.Split, pos []byte) (connector.Reader[table.Row], error) {
	r, err := s.Source.Open(ctx, sp, pos)
	if err != nil {
		return nil, err
	}
	return &timedNexmarkReader{r, s.timed}, nil
}

type timedNexmarkReader struct {
	connector.Reader[table.Row]
	timed *atomic.Int64
}

func (r *timedNexmarkReader) ReadTimestamped(ctx context.Context, buf []table.Row, ts []int64) (int, error) {
	n, err := r.Reader.(connector.Timestamped[table.Row]).ReadTimestamped(ctx, buf, ts)
	r.timed.Add(int64(n))
	return n, err
}

// TestNexmarkSQLReaderTimeMatchesRowtime: the projected nexmark scan takes
// its rows' event time from the readers (connector.ReaderTimeTableSource,
// the DDL's rowtime CASE recognised), and the results of event-time
// queries (windows, joins, watermarks: q5, q7, q8, q11), a stateless one
// (q1) and one with a shared scan (q8), on random generator seeds, at
// parallelism 1 and 2, are the oracles'; with readers that have no
// timestamps (reuseNexmark, TestNexmarkSQLReusedRowsMatchOracles) the
// planner's rowtime evaluation gives them as well.
func TestNexmarkSQLReaderTimeMatchesRowtime(t *testing.T) {
	seeds := []int64{rand.Int64N(1 << 40), rand.Int64N(1 << 40)}
	for _, name := range []string{"q1", "q5", "q7", "q8", "q11"} {
		for _, seed := range seeds {
			for par := 1; par <= 2; par++ {
				t.Run(fmt.Sprintf("%s/seed=%d/p=%d", name, seed, par), func(t *testing.T) {
					t.Parallel()
					gen := nexgen.GeneratorConfig{Events: 3000, Seed: seed, Rate: 100, Splits: 1}
					events := nexgen.Generate(gen)
					ddl := nexmarkConnectorDDL(t)
					ddl = strings.ReplaceAll(ddl, "rate' = '1000'", "rate' = '100'")
					ddl = strings.ReplaceAll(ddl, "'seed' = '7'", fmt.Sprintf("'seed' = '%d'", seed))
					sql, cfg := oracleQuery(t, name)
					var timed atomic.Int64
					checkOracleInto(t, name, ddl, sql, timedNexmark{nexgen.TableFactory(), &timed}, events, cfg, true, par)
					if timed.Load() == 0 {
						t.Error("the scan did not take its readers' timestamps")
					}
				})
			}
		}
	}
}

// TestNexmarkSQLReaderTimeOnlyForItsRowtime: the readers' timestamps are
// taken only for the rowtime the connector describes (the DDL's CASE), not
// for one that picks other members' times, tests other event types, reads
// one member only or shifts the time; each of those evaluates the rowtime,
// and the query's results (a tumbling count of bids, per window end) are
// those of the rowtime the DDL wrote: with each of them, the windows are
// those of the generator's bids at the times that rowtime gives.
func TestNexmarkSQLReaderTimeOnlyForItsRowtime(t *testing.T) {
	const orig = `CASE
            WHEN event_type = 0 THEN person.dateTime
            WHEN event_type = 1 THEN auction.dateTime
            ELSE bid.dateTime
        END`
	for _, c := range []struct {
		rowtime string
		timed   bool
	}{
		{orig, true},
		{"CASE WHEN event_type = 1 THEN person.dateTime WHEN event_type = 0 THEN auction.dateTime ELSE bid.dateTime END", false},
		{"CASE WHEN event_type = 1 THEN auction.dateTime WHEN event_type = 0 THEN person.dateTime ELSE bid.dateTime END", false},
		{"CASE WHEN event_type = 0 THEN person.dateTime WHEN event_type = 1 THEN auction.dateTime WHEN event_type = 2 THEN bid.dateTime END", false},
		{"CASE WHEN event_type = 0 THEN person.dateTime ELSE bid.dateTime END", false},
		{"bid.dateTime", false},
		{"CASE WHEN event_type = 0 THEN person.dateTime WHEN event_type = 1 THEN auction.dateTime ELSE bid.dateTime + INTERVAL '1' SECOND END", false},
	} {
		ddl := nexmarkConnectorDDL(t)
		if !strings.Contains(ddl, orig) {
			t.Fatalf("the DDL's rowtime is not\n%s", orig)
		}
		ddl = strings.Replace(ddl, orig, c.rowtime, 1)
		shift := int64(0)
		if strings.Contains(c.rowtime, "INTERVAL") {
			shift = 1000
		}
		want := map[int64]int64{}
		for _, e := range nexgen.Generate(nexgen.GeneratorConfig{Events: 3000, Seed: 7, Rate: 1000, Splits: 1}) {
			if e.Bid != nil {
				ts := e.Bid.DateTime + shift
				want[ts-ts%1000+1000]++
			}
		}
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		var timed atomic.Int64
		sess := streamsql.NewSession(streamsql.Options{Parallelism: 1,
			Factories: []connector.TableFactory{timedNexmark{nexgen.TableFactory(), &timed}, col, builtin.BlackholeFactory()}})
		sess.RegisterNexmarkFunctions()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := sess.Exec(ctx, ddl+`
CREATE TABLE keep (we TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
INSERT INTO keep SELECT window_end, COUNT(*) FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;`)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", c.rowtime, err)
		}
		if got := timed.Load() > 0; got != c.timed {
			t.Errorf("%s: readers' timestamps taken: %v, want %v", c.rowtime, got, c.timed)
		}
		got := map[int64]int64{}
		for _, r := range col.rows["keep"] {
			ms, _ := r.Fields[0].AsTimestamp()
			got[ms] += r.Fields[1].AsInt()
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: window counts %v, want %v", c.rowtime, got, want)
		}
	}
}
