package streamsql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestShowFunctionsCollections: SHOW FUNCTIONS lists the collection
// functions a query calls by name and none of the internal calls the
// syntax binds to ($ARRAY for ARRAY[...], $ITEM for a[i], $FIELD for r.f),
// which no query can call; nor are they suggested for an unknown name.
func TestShowFunctionsCollections(t *testing.T) {
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1})
	res, err := s.Exec(context.Background(), "SHOW FUNCTIONS")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, n := range strings.Fields(res.Text) {
		names[n] = true
		if strings.HasPrefix(n, "$") {
			t.Errorf("SHOW FUNCTIONS lists the internal %s", n)
		}
	}
	for _, n := range []string{"CARDINALITY", "ELEMENT", "ARRAY_CONTAINS", "ARRAY_SLICE", "MAP_KEYS", "MAP_ENTRIES"} {
		if !names[n] {
			t.Errorf("SHOW FUNCTIONS lacks %s", n)
		}
	}
	_, err = s.Exec(context.Background(), "SELECT ITEM(ARRAY[1], 1)")
	if err == nil || strings.Contains(err.Error(), "$") {
		t.Errorf("ITEM(...): %v, want an unknown function without an internal suggestion", err)
	}
}

// projectionRecorder is the golden tests' values connector as a
// connector.ProjectableTableSource that records the columns asked for and
// then refuses to open (the test needs only the request).
type projectionRecorder struct {
	valuesFactory
	got *[][]int
}

var errRecorded = errors.New("projection recorded")

func (r projectionRecorder) ProjectedTableSource(_ context.Context, _ connector.TableContext, fields [][]int) (connector.Source[table.Row], error) {
	*r.got = fields
	return nil, errRecorded
}

// TestUnnestPrunesInput: the input of an UNNEST is narrowed to the columns
// the query and the collection read (pruneCorrelate), so a projectable
// source is asked for just those; without the pruning the correlate reads
// the scan's whole rows and no projection is asked for.
func TestUnnestPrunesInput(t *testing.T) {
	for _, c := range []struct {
		query string
		want  string
	}{
		{"SELECT id, item FROM orders CROSS JOIN UNNEST(items) AS t(item)", "[[0] [1]]"},
		{"SELECT item, note FROM orders LEFT JOIN UNNEST(items) WITH ORDINALITY AS t(item, pos) ON TRUE WHERE pos > 1", "[[1] [3]]"},
		{"SELECT k FROM orders CROSS JOIN UNNEST(attrs) AS t(k, v)", "[[2]]"},
	} {
		var got [][]int
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		s := streamsql.NewSession(streamsql.Options{Parallelism: 1, Factories: []connector.TableFactory{projectionRecorder{valuesFactory{dir: t.TempDir()}, &got}, col}})
		_, err := s.Exec(context.Background(), `CREATE TABLE orders (id INT, items ARRAY<STRING>, attrs MAP<STRING, INT>, note STRING) WITH ('connector' = 'values');
SELECT * FROM (`+c.query+`)`)
		if !errors.Is(err, errRecorded) {
			t.Errorf("%s: %v, want the recorder's error", c.query, err)
			continue
		}
		if g := fmt.Sprint(got); g != c.want {
			t.Errorf("%s: the scan asked for %s, want %s", c.query, g, c.want)
		}
	}
}
