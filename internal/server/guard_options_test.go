package server

import (
	"io"
	"testing"

	"github.com/stromio/strom/connector"
)

// The guard keeps connector.DynamicOptions: the guarded datagen factory
// still takes its per-column keys (without it the planner would refuse
// 'fields.<column>.min' in server jobs), and the other factories take no
// key beyond their lists.
func TestGuardKeepsDynamicOptions(t *testing.T) {
	srv, err := Open(Config{DataDir: t.TempDir(), Version: "test", Logger: quiet(), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	seen := false
	for _, f := range srv.factories(nil) {
		d, ok := f.(connector.DynamicOptions)
		if !ok {
			t.Fatalf("the guarded %s factory (%T) is not a DynamicOptions", f.Name(), f)
		}
		want := f.Name() == "datagen"
		seen = seen || want
		if got := d.AllowsOption("fields.price.min"); got != want {
			t.Errorf("the guarded %s factory: AllowsOption('fields.price.min') = %v", f.Name(), got)
		}
		if d.AllowsOption("fields.price.nope") {
			t.Errorf("the guarded %s factory takes 'fields.price.nope'", f.Name())
		}
	}
	if !seen {
		t.Fatal("no datagen factory among the server's defaults")
	}
}
