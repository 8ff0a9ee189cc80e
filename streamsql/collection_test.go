package streamsql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stromio/strom/streamsql"
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
