package streamsql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	fileconn "github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestUpdatingSinkErrorNamesTableOnce: the connector's refusal of
// an updating query names the table already ("table \"out\": connector
// 'filesystem': ..."); CheckSink's updating message puts its own naming
// in front without the de-duplication connText does.
func TestUpdatingSinkErrorNamesTableOnce(t *testing.T) {
	dir := t.TempDir()
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	s := streamsql.NewSession(streamsql.Options{Parallelism: 1,
		Factories: []connector.TableFactory{valuesFactory{dir: dir}, col, fileconn.FilesystemTableFactory()}})
	_, err := s.Exec(context.Background(), `
CREATE TABLE t (k BIGINT) WITH ('connector' = 'values');
CREATE TABLE out (k BIGINT, n BIGINT) WITH ('connector' = 'filesystem', 'path' = '`+dir+`/out', 'format' = 'csv');
INSERT INTO out SELECT k, COUNT(*) FROM t GROUP BY k;`)
	if err == nil {
		t.Fatal("no error")
	}
	t.Log(err)
	if strings.Count(err.Error(), "out") > 1 && strings.Contains(err.Error(), `table "out"`) {
		t.Errorf("the table is named twice: %v", err)
	}
}
