package streamsql_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// longest is a user aggregate: the longest string (the first of equal
// length), NULL over none; it does not retract.
type longest struct{}

func (longest) Name() string                                  { return "LONGEST" }
func (longest) ResultType() table.Type                        { return table.StringType() }
func (longest) AccTypes() []table.Type                        { return []table.Type{table.StringType()} }
func (longest) Init(acc []table.Value)                        { acc[0] = table.Null }
func (longest) CanRetract() bool                              { return false }
func (longest) Result(acc []table.Value) (table.Value, error) { return acc[0], nil }
func (longest) Retract([]table.Value, []table.Value) error {
	return errors.New("LONGEST cannot retract")
}
func (longest) Add(acc, args []table.Value) error {
	if !args[0].IsNull() && (acc[0].IsNull() || len(args[0].AsString()) > len(acc[0].AsString())) {
		acc[0] = args[0]
	}
	return nil
}
func (l longest) Merge(acc, other []table.Value) error { return l.Add(acc, other) }

func newLongest(args []table.Type) (streamsql.AggregateFunc, error) {
	if len(args) != 1 || !args[0].IsString() {
		return nil, errors.New("LONGEST takes one string")
	}
	return longest{}, nil
}

func TestRegisterAggregateAndSubmit(t *testing.T) {
	dir := t.TempDir()
	data := `{"k": "a", "s": "xy"}
{"k": "a", "s": "xyz"}
{"k": "b", "s": "q"}
{"k": "a", "s": "abc"}
`
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}})
	s.RegisterAggregate("longest", newLongest)
	ctx := context.Background()
	job, _, err := s.Submit(ctx, `
		CREATE TABLE t (k STRING, s STRING) WITH ('connector' = 'values');
		CREATE TABLE out (k STRING, l STRING) WITH ('connector' = 'collect');
		INSERT INTO out SELECT k, LONGEST(s) FROM t GROUP BY k;`)
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range col.rows["out"] {
		got = append(got, r.String())
	}
	want := []string{"+I('a', 'xy')", "-U('a', 'xy')", "+U('a', 'xyz')", "+I('b', 'q')"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if _, err := s.Exec(ctx, "SELECT LONGEST(k, s) FROM t"); err == nil || err.Error() != "line 1, column 8: LONGEST(k, s): LONGEST takes one string" {
		t.Fatalf("got %v", err)
	}
}

// TestNexmarkCountChar checks q14's CountChar against the Java function's
// eval: the bytes of s equal to the first byte of c (for a non-ASCII c,
// the lead byte of its UTF-8 form), 0 for an empty c, NULL for NULL.
func TestNexmarkCountChar(t *testing.T) {
	s := streamsql.NewSession(streamsql.Options{})
	s.RegisterNexmarkFunctions()
	var got []table.Row
	job, _, err := s.Query(context.Background(), `
		CREATE FUNCTION count_char AS '`+streamsql.NexmarkCountChar+`';
		SELECT count_char(x, 'c'), count_char(x, 'cx'), count_char(x, ''), count_char(x, 'é'), count_char(CAST(NULL AS STRING), 'c')
		FROM (VALUES ('abcabc'), (''), ('àéc')) AS t(x);`, func(r table.Row) error {
		got = append(got, table.Row{Kind: r.Kind, Fields: append([]table.Value(nil), r.Fields...)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	want := []string{"+I(2, 2, 0, 0, NULL)", "+I(0, 0, 0, 0, NULL)", "+I(1, 1, 0, 2, NULL)"}
	if len(got) != len(want) {
		t.Fatalf("%d rows: %v", len(got), got)
	}
	for i, r := range got {
		if r.String() != want[i] {
			t.Errorf("row %d: %s, want %s", i, r, want[i])
		}
	}
}
