package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/builtin"
	"github.com/stromio/strom/streamsql"
)

// runValuesScript runs script over t.jsonl = data (connector 'values'); it returns
// what the session printed and what the print connector wrote.
func runValuesScript(t *testing.T, data, script string) (string, string, error) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, printed strings.Builder
	s := streamsql.NewSession(streamsql.Options{Out: &out,
		Factories: []connector.TableFactory{valuesFactory{dir: dir}, builtin.PrintFactory(&printed)}})
	_, err := s.Exec(context.Background(), script)
	return out.String(), printed.String(), err
}
