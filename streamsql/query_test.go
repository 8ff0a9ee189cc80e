package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

func TestQueryEmitsChangelog(t *testing.T) {
	dir := t.TempDir()
	data := "{\"k\": \"a\", \"n\": 1}\n{\"k\": \"b\", \"n\": 2}\n{\"k\": \"a\", \"n\": 3}\n"
	if err := os.WriteFile(filepath.Join(dir, "t.jsonl"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	s := streamsql.NewSession(streamsql.Options{Factories: []connector.TableFactory{valuesFactory{dir: dir}}})
	var got []string
	job, cols, err := s.Query(context.Background(), `
		CREATE TABLE t (k STRING, n BIGINT) WITH ('connector' = 'values');
		SELECT k, SUM(n) AS total FROM t GROUP BY k`, func(r table.Row) error {
		got = append(got, r.Kind.String()+" "+string(table.AppendText(nil, r.Fields[0]))+" "+string(table.AppendText(nil, r.Fields[1])))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(cols) != 2 || cols[0].Name != "k" || cols[1].Name != "total" || cols[1].Type.String() != "BIGINT" {
		t.Fatalf("columns %+v", cols)
	}
	sort.Strings(got)
	want := "+I a 1,+I b 2,+U a 4,-U a 1"
	if strings.Join(got, ",") != want {
		t.Fatalf("rows %q, want %q", strings.Join(got, ","), want)
	}
}

func TestQueryRefusesInsert(t *testing.T) {
	s := streamsql.NewSession(streamsql.Options{})
	_, _, err := s.Query(context.Background(), `INSERT INTO x SELECT 1`, func(table.Row) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "line 1, column 1") || !strings.Contains(err.Error(), "Submit") {
		t.Fatalf("err = %v", err)
	}
	_, _, err = s.Query(context.Background(), ``, func(table.Row) error { return nil })
	if err == nil {
		t.Fatal("empty script accepted")
	}
}
