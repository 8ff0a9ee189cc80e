package streamsql_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	fileconn "github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestFilesystemPartitionedRoundTrip writes a table PARTITIONED BY (dt, hr)
// with the filesystem sink (its files committed by the checkpoints, the
// last one when the input ends) and reads it back in a new session: every
// row comes back with its partition columns (NULLs through
// __DEFAULT_PARTITION__, a string with '/' and '=' through its escapes).
func TestFilesystemPartitionedRoundTrip(t *testing.T) {
	in := t.TempDir()
	rows := `{"id":1,"name":"a","dt":"2024-01-01","hr":10,"tag":"x"}
{"id":2,"name":"b","dt":"2024-01-01","hr":10,"tag":"x"}
{"id":3,"name":"c","dt":"2024-01-01","hr":11,"tag":"a/b=c"}
{"id":4,"name":"d","dt":"2024-01-02","hr":null,"tag":""}
{"id":5,"name":"e","dt":null,"hr":9,"tag":null}
`
	if err := os.WriteFile(filepath.Join(in, "ev.jsonl"), []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "fs")
	ddl := `CREATE TABLE fs (id BIGINT, name STRING, dt DATE, hr INT, tag STRING) PARTITIONED BY (dt, hr, tag)
  WITH ('connector' = 'filesystem', 'path' = '` + out + `', 'format' = 'csv');
`
	for _, par := range []int{1, 2} {
		_ = os.RemoveAll(out)
		w := streamsql.NewSession(streamsql.Options{Parallelism: par,
			Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), Interval: time.Hour},
			Factories:   []connector.TableFactory{valuesFactory{dir: in}, fileconn.FilesystemTableFactory()}})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err := w.Exec(ctx, ddl+`CREATE TABLE ev (id BIGINT, name STRING, dt DATE, hr INT, tag STRING) WITH ('connector' = 'values');
INSERT INTO fs SELECT * FROM ev;`)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		r := streamsql.NewSession(streamsql.Options{Parallelism: par,
			Factories: []connector.TableFactory{col, fileconn.FilesystemTableFactory()}})
		ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
		_, err = r.Exec(ctx, ddl+`CREATE TABLE back (id BIGINT, name STRING, dt DATE, hr INT, tag STRING) WITH ('connector' = 'collect');
INSERT INTO back SELECT * FROM fs;`)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, row := range col.rows["back"] {
			got = append(got, row.String())
		}
		sort.Strings(got)
		want := []string{
			"+I(1, 'a', DATE '2024-01-01', 10, 'x')",
			"+I(2, 'b', DATE '2024-01-01', 10, 'x')",
			"+I(3, 'c', DATE '2024-01-01', 11, 'a/b=c')",
			"+I(4, 'd', DATE '2024-01-02', NULL, '')",
			"+I(5, 'e', NULL, 9, NULL)",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("parallelism %d: read back\n%s\nwant\n%s", par, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
