package streamsql_test

import (
	"context"
	"fmt"
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

// TestReviewReaderTimeVariants: DDL variants of the rowtime and of the
// members' types; the window counts of bids are those of the rowtime as
// the DDL writes it, whether or not the readers' times are taken.
func TestReviewReaderTimeVariants(t *testing.T) {
	const orig = `CASE
            WHEN event_type = 0 THEN person.dateTime
            WHEN event_type = 1 THEN auction.dateTime
            ELSE bid.dateTime
        END`
	for _, c := range []struct {
		name  string
		repl  [][2]string
		trunc int64 // the rowtime truncated to this many ms
	}{
		{name: "orig"},
		{name: "simple-case", repl: [][2]string{{orig, "CASE event_type WHEN 0 THEN person.dateTime WHEN 1 THEN auction.dateTime ELSE bid.dateTime END"}}},
		{name: "bigint-tag", repl: [][2]string{{"event_type INT", "event_type BIGINT"}}},
		{name: "ltz", repl: [][2]string{{"dateTime TIMESTAMP(3)", "dateTime TIMESTAMP_LTZ(3)"}}},
		{name: "ts6", repl: [][2]string{{"dateTime TIMESTAMP(3)", "dateTime TIMESTAMP(6)"}}},
		{name: "ts0", repl: [][2]string{{"dateTime TIMESTAMP(3)", "dateTime TIMESTAMP(0)"}}, trunc: 1000},
		{name: "ts1", repl: [][2]string{{"dateTime TIMESTAMP(3)", "dateTime TIMESTAMP(1)"}}, trunc: 100},
		{name: "ltz0", repl: [][2]string{{"dateTime TIMESTAMP(3)", "dateTime TIMESTAMP_LTZ(0)"}}, trunc: 1000},
		{name: "cast0", repl: [][2]string{{orig, "CAST(" + orig + " AS TIMESTAMP(0))"}}, trunc: 1000},
		{name: "bid-ts0", repl: [][2]string{{"url VARCHAR,\n        dateTime TIMESTAMP(3)", "url VARCHAR,\n        dateTime TIMESTAMP(0)"}}, trunc: 1000},
	} {
		t.Run(c.name, func(t *testing.T) {
			ddl := nexmarkConnectorDDL(t)
			for _, r := range c.repl {
				if !strings.Contains(ddl, r[0]) {
					t.Fatalf("no %q", r[0])
				}
				ddl = strings.ReplaceAll(ddl, r[0], r[1])
			}
			want := map[int64]int64{}
			for _, e := range nexgen.Generate(nexgen.GeneratorConfig{Events: 3000, Seed: 7, Rate: 1000, Splits: 1}) {
				if e.Bid != nil {
					ts := e.Bid.DateTime
					if c.trunc > 0 {
						ts -= ts % c.trunc
					}
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
INSERT INTO keep SELECT CAST(window_end AS TIMESTAMP(3)), COUNT(*) FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;`)
			cancel()
			if err != nil {
				t.Fatalf("%v", err)
			}
			got := map[int64]int64{}
			for _, r := range col.rows["keep"] {
				ms, _ := r.Fields[0].AsTimestamp()
				got[ms] += r.Fields[1].AsInt()
			}
			t.Logf("timed %d", timed.Load())
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("window counts %v, want %v", got, want)
			}
		})
	}
}

// TestReviewReaderTimeCustomDDL: a DDL with its columns in another
// order, the computed rowtime first, members with fields reordered and
// omitted; the bid windows are the generator's.
func TestReviewReaderTimeCustomDDL(t *testing.T) {
	ddl := `CREATE TABLE nexmark (
    rt AS CASE WHEN event_type = 0 THEN person.dateTime WHEN event_type = 1 THEN auction.dateTime ELSE bid.dateTime END,
    bid ROW<dateTime TIMESTAMP(3), price BIGINT>,
    auction ROW<expires TIMESTAMP(3), dateTime TIMESTAMP(3)>,
    person ROW<name VARCHAR, dateTime TIMESTAMP(3), id BIGINT>,
    event_type INT,
    WATERMARK FOR rt AS rt - INTERVAL '4' SECOND
) WITH ('connector' = 'nexmark', 'seed' = '7', 'splits' = '1', 'first-event.rate' = '1000', 'next-event.rate' = '1000', 'events.num' = '3000',
    'person.proportion' = '1', 'auction.proportion' = '3', 'bid.proportion' = '46');
CREATE VIEW bid AS SELECT bid.price, rt AS dateTime FROM nexmark WHERE event_type = 2;
`
	want := map[int64]int64{}
	for _, e := range nexgen.Generate(nexgen.GeneratorConfig{Events: 3000, Seed: 7, Rate: 1000, Splits: 1}) {
		if e.Bid != nil {
			ts := e.Bid.DateTime
			want[ts-ts%100+100]++
		}
	}
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	var timed atomic.Int64
	sess := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Factories: []connector.TableFactory{timedNexmark{nexgen.TableFactory(), &timed}, col, builtin.BlackholeFactory()}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := sess.Exec(ctx, ddl+`
CREATE TABLE keep (we TIMESTAMP(3), n BIGINT) WITH ('connector' = 'collect');
INSERT INTO keep SELECT CAST(window_end AS TIMESTAMP(3)), COUNT(*) FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '0.1' SECOND)) GROUP BY window_start, window_end;`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]int64{}
	for _, r := range col.rows["keep"] {
		ms, _ := r.Fields[0].AsTimestamp()
		got[ms] += r.Fields[1].AsInt()
	}
	t.Logf("timed %d, %d windows", timed.Load(), len(got))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("window counts %v, want %v", got, want)
	}
}
