package server

import (
	"fmt"
	"io"
	"testing"

	"github.com/stromio/strom/connector"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/table"
)

// The guard keeps connector.PartitionPruningTableSource: the guarded
// filesystem factory still prunes the partitions of a partitioned table
// (without it the planner would hand the source no partition filter and
// server jobs would open every partition's files); a factory that does not
// prune says so through the guard too.
func TestGuardKeepsPartitionPruning(t *testing.T) {
	srv, err := Open(Config{DataDir: t.TempDir(), Version: "test", Logger: quiet(), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	part := connector.TableContext{Name: "fs", PartitionKeys: []string{"dt"}}
	seen := 0
	for _, f := range srv.factories(nil) {
		p, ok := f.(connector.PartitionPruningTableSource)
		if !ok {
			t.Fatalf("the guarded %s factory (%T) is not a PartitionPruningTableSource", f.Name(), f)
		}
		switch f.Name() {
		case "filesystem", "file":
			seen++
			if !p.PrunesPartitions(part) {
				t.Errorf("the guarded %s factory does not prune a partitioned table", f.Name())
			}
		case "nexmark":
			if p.PrunesPartitions(part) {
				t.Errorf("the guarded nexmark factory says it prunes")
			}
		}
	}
	if seen != 2 {
		t.Fatalf("%d file factories among the defaults, want 2", seen)
	}
}

// The guard keeps connector.ReaderTimeTableSource: the guarded nexmark
// factory describes its readers' time as the unguarded one does (server
// jobs' nexmark scans take it, not an evaluation of the rowtime per row);
// another factory has none.
func TestGuardKeepsReaderTime(t *testing.T) {
	srv, err := Open(Config{DataDir: t.TempDir(), Version: "test", Logger: quiet(), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	schema := table.Schema{Columns: []table.Column{
		{Name: "event_type", Type: table.IntType()},
		{Name: "person", Type: mustRow(t, "ROW<id BIGINT, dateTime TIMESTAMP(3)>")},
		{Name: "auction", Type: mustRow(t, "ROW<id BIGINT, dateTime TIMESTAMP(3)>")},
		{Name: "bid", Type: mustRow(t, "ROW<auction BIGINT, dateTime TIMESTAMP(3)>")},
	}}
	tc := connector.TableContext{Name: "nexmark", Schema: schema}
	want, ok := nexgen.TableFactory().ReaderTime(tc)
	if !ok {
		t.Fatal("the nexmark factory has no reader time")
	}
	seen := false
	for _, f := range srv.factories(nil) {
		r, ok := f.(connector.ReaderTimeTableSource)
		if !ok {
			t.Fatalf("the guarded %s factory (%T) is not a ReaderTimeTableSource", f.Name(), f)
		}
		got, has := r.ReaderTime(tc)
		switch f.Name() {
		case "nexmark":
			seen = true
			if !has || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("the guarded nexmark factory's reader time %+v (%v), want %+v", got, has, want)
			}
		default:
			if has {
				t.Errorf("the guarded %s factory has a reader time", f.Name())
			}
		}
	}
	if !seen {
		t.Fatal("no nexmark factory among the defaults")
	}
}

func mustRow(t *testing.T, s string) table.Type {
	t.Helper()
	ty, err := table.ParseType(s)
	if err != nil {
		t.Fatal(err)
	}
	return ty
}

// TestGuardKeepsUniqueKeys: every guarded factory is a
// connector.UniqueKeyTableSource; the nexmark one states the generator's
// keys (its joins on auction and person ids keep the unique mode), the
// others none.
func TestGuardKeepsUniqueKeys(t *testing.T) {
	srv, err := Open(Config{DataDir: t.TempDir(), Version: "test", Logger: quiet(), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	schema := table.Schema{Columns: []table.Column{
		{Name: "event_type", Type: table.IntType()},
		{Name: "person", Type: mustRow(t, "ROW<id BIGINT, dateTime TIMESTAMP(3)>")},
		{Name: "auction", Type: mustRow(t, "ROW<id BIGINT, dateTime TIMESTAMP(3)>")},
		{Name: "bid", Type: mustRow(t, "ROW<auction BIGINT, dateTime TIMESTAMP(3)>")},
	}}
	tc := connector.TableContext{Name: "nexmark", Schema: schema}
	want := nexgen.TableFactory().UniqueKeys(tc)
	if len(want) != 2 {
		t.Fatalf("the nexmark factory's unique keys: %+v", want)
	}
	seen := false
	for _, f := range srv.factories(nil) {
		u, ok := f.(connector.UniqueKeyTableSource)
		if !ok {
			t.Fatalf("the guarded %s factory (%T) is not a UniqueKeyTableSource", f.Name(), f)
		}
		got := u.UniqueKeys(tc)
		switch f.Name() {
		case "nexmark":
			seen = true
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("the guarded nexmark factory's unique keys %+v, want %+v", got, want)
			}
		default:
			if got != nil {
				t.Errorf("the guarded %s factory has unique keys %+v", f.Name(), got)
			}
		}
	}
	if !seen {
		t.Fatal("no nexmark factory among the defaults")
	}
}
