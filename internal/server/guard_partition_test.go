package server

import (
	"io"
	"testing"

	"github.com/stromio/strom/connector"
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
