package nexmark

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stromio/strom/connector/nexmark"
)

// TestSQLTextMatchesParserTestdata keeps the embedded SQL equal to the
// parser's test data, where the spec's text lives.
func TestSQLTextMatchesParserTestdata(t *testing.T) {
	files, err := filepath.Glob("../sql/parser/testdata/nexmark/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no SQL test data: %v", err)
	}
	embedded, err := sqlFiles.ReadDir("sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(embedded) != len(files) {
		t.Errorf("%d embedded files, %d in the test data", len(embedded), len(files))
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sqlFiles.ReadFile("sql/" + filepath.Base(f))
		if err != nil || string(got) != string(want) {
			t.Errorf("internal/nexmark/sql/%s differs from %s: copy it", filepath.Base(f), f)
		}
	}
	if _, ok := SQL("ddl"); ok {
		t.Error("SQL(ddl) is a query")
	}
	if q, ok := SQL("q0"); !ok || !strings.Contains(q, "INSERT INTO nexmark_q0") {
		t.Errorf("SQL(q0) = %q, %v", q, ok)
	}
	src, err := SQLSource(nexmark.GeneratorConfig{Events: 1234, Seed: 7, Splits: 3, Rate: 5000})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"'events.num' = '1234'", "'seed' = '7'", "'splits' = '3'", "'first-event.rate' = '5000'", "'next-event.rate' = '5000'", "'rate.limited' = 'false'"} {
		if !strings.Contains(src, want) {
			t.Errorf("SQLSource lacks %s", want)
		}
	}
}
