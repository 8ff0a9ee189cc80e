package catalog

import (
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
