package catalog

import (
	"strings"
	"testing"

	"github.com/stromio/strom/table"
)

func TestCatalog(t *testing.T) {
	c := New()
	tb := &Table{Name: "bids", Schema: table.NewSchema(table.Column{Name: "a", Type: table.IntType()})}
	if added, err := c.AddTable(tb, false); !added || err != nil {
		t.Fatalf("add: %v %v", added, err)
	}
	if added, err := c.AddTable(tb, true); added || err != nil {
		t.Fatalf("add if not exists: %v %v", added, err)
	}
	if _, err := c.AddView(&View{Name: "bids"}, false); err == nil || err.Error() != "table or view `bids` already exists" {
		t.Fatalf("view over a table: %v", err)
	}
	if got := c.Suggest("bid"); got != "bids" {
		t.Errorf("Suggest = %q", got)
	}
	if got := Closest("PRICE", []string{"price", "prize"}); got != "price" {
		t.Errorf("Closest = %q", got)
	}
	if got := Closest("zzz", []string{"price"}); got != "" {
		t.Errorf("Closest = %q", got)
	}
	if err := c.Drop("TABLE", "bid", false); err == nil || err.Error() != "table `bid` does not exist; did you mean `bids`?" {
		t.Errorf("drop: %v", err)
	}
	if err := c.Drop("VIEW", "v", true); err != nil {
		t.Errorf("drop if exists: %v", err)
	}
	if err := c.Drop("TABLE", "bids", false); err != nil || len(c.Tables()) != 0 {
		t.Errorf("drop: %v %v", err, c.Tables())
	}
}

func TestSnapshotRestore(t *testing.T) {
	c := New()
	schema := table.NewSchema(table.Column{Name: "a", Type: table.IntType()})
	a := &Table{Name: "a", Schema: schema}
	c.AddTable(a, false)
	c.AddTable(&Table{Name: "gone", Schema: schema}, false)
	c.AddView(&View{Name: "v"}, false)
	c.Options["k"] = "1"
	opts := c.Options
	snap := c.Snapshot()

	// Everything a script may do: add, replace, drop, set, reset.
	c.AddTable(&Table{Name: "new", Schema: schema}, false)
	c.AddView(&View{Name: "w"}, false)
	c.Drop("TABLE", "a", false)
	c.AddTable(&Table{Name: "a", Schema: schema}, false)
	c.Drop("TABLE", "gone", false)
	c.Drop("VIEW", "v", false)
	c.Options["k"] = "2"
	c.Options["other"] = "x"

	c.Restore(snap)
	if got := strings.Join(c.Tables(), ","); got != "a,gone" {
		t.Errorf("tables = %s", got)
	}
	if got := strings.Join(c.Views(), ","); got != "v" {
		t.Errorf("views = %s", got)
	}
	if got, _ := c.Table("a"); got != a {
		t.Errorf("table a is not the one before the snapshot")
	}
	if len(c.Options) != 1 || c.Options["k"] != "1" {
		t.Errorf("options = %v", c.Options)
	}
	if opts["k"] != "1" || len(opts) != 1 {
		t.Errorf("Options is no longer the same map: %v", opts)
	}
	// The snapshot is not changed by what happens after Restore.
	c.Options["k"] = "3"
	c.Restore(snap)
	if c.Options["k"] != "1" {
		t.Errorf("second restore: options = %v", c.Options)
	}
}
