package streamsql_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	fileconn "github.com/stromio/strom/connector/file"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// stubFactory stands for a connector of the Nexmark DDL (nexmark,
// blackhole) when only plans are made; filesystem is the real one.
type stubFactory struct {
	name string
	opts []string
}

func (f stubFactory) Name() string { return f.name }
func (f stubFactory) Options() []connector.TableOption {
	var o []connector.TableOption
	for _, k := range f.opts {
		o = append(o, connector.TableOption{Key: k})
	}
	return o
}
func (f stubFactory) TableSource(context.Context, connector.TableContext) (connector.Source[table.Row], error) {
	return nil, errors.New("stub")
}
func (f stubFactory) TableSink(context.Context, connector.TableContext, bool) (connector.Sink[table.Row], error) {
	return nil, errors.New("stub")
}

// nexmarkStub is the stub of the nexmark connector with the real one's
// unique keys (connector.UniqueKeyTableSource), which EXPLAIN shows as
// the joins' unique mode (uniqueKey=[left]).
type nexmarkStub struct{ stubFactory }

func (f nexmarkStub) UniqueKeys(t connector.TableContext) []connector.UniqueKey {
	return nexgen.TableFactory().UniqueKeys(t)
}

// TestNexmarkPlans explains every Nexmark query of the spec
// (internal/nexmark/sql) and records the plan, or why it
// cannot be planned yet, in internal/sql/testdata/nexmark_plans.txt.
func TestNexmarkPlans(t *testing.T) {
	dir := "../internal/nexmark/sql"
	ddl, err := os.ReadFile(filepath.Join(dir, "ddl.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	type query struct{ label, path string }
	var qs []query
	for i := 0; i <= 23; i++ {
		qs = append(qs, query{fmt.Sprintf("q%d", i), filepath.Join(dir, fmt.Sprintf("q%d.sql", i))})
		if i == 6 {
			// The spec's q6 is not well-formed; the query its DataStream
			// version computes.
			qs = append(qs, query{"q6 (well-formed: internal/nexmark/sql/q6_wellformed.sql)", filepath.Join(dir, "q6_wellformed.sql")})
		}
	}
	for _, q := range qs {
		src, err := os.ReadFile(q.path)
		if err != nil {
			continue
		}
		s := streamsql.NewSession(streamsql.Options{Factories: []connector.TableFactory{
			nexmarkStub{stubFactory{name: "nexmark", opts: []string{"first-event.rate", "next-event.rate", "events.num", "person.proportion", "auction.proportion", "bid.proportion"}}},
			stubFactory{name: "blackhole"}, fileconn.FilesystemTableFactory(),
		}})
		s.RegisterNexmarkFunctions()
		ctx := context.Background()
		if _, err := s.Exec(ctx, string(ddl)); err != nil {
			t.Fatalf("ddl: %v", err)
		}
		fmt.Fprintf(&b, "== %s\n", q.label)
		// Every statement but the INSERTs at once, then EXPLAIN of each INSERT.
		text := string(src)
		idx := strings.Index(text, "INSERT INTO")
		if idx < 0 {
			fmt.Fprintf(&b, "no INSERT\n")
			continue
		}
		if _, err := s.Exec(ctx, text[:idx]); err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
			continue
		}
		res, err := s.Exec(ctx, "EXPLAIN "+text[idx:])
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
			continue
		}
		b.WriteString(res.Text)
	}
	check(t, "../internal/sql/testdata/nexmark_plans.txt", b.String())
}
