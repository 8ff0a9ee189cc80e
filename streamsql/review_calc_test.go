package streamsql_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/datagen"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// reviewQuery runs a bounded SELECT and returns its rows as text, sorted.
func reviewQuery(t *testing.T, par int, sql string) []string {
	t.Helper()
	s := streamsql.NewSession(streamsql.Options{Parallelism: par, Factories: []connector.TableFactory{datagen.TableFactory()}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got []string
	job, _, err := s.Query(ctx, sql, func(r table.Row) error {
		var sb strings.Builder
		for i, v := range r.Fields {
			if i > 0 {
				sb.WriteByte('|')
			}
			sb.WriteString(v.String())
		}
		got = append(got, sb.String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Wait(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

// TestReviewSharedCalcParallel: a Calc whose filters and projections share
// calls and SPLIT_INDEX scans gives at parallelism 4 (each subtask its
// own compiled Shared; run with -race) what it gives at parallelism 1,
// and what Go computes.
func TestReviewSharedCalcParallel(t *testing.T) {
	const ddl = `CREATE TABLE g (id BIGINT, s STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '4000', 'seed' = '3',
	'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '4000', 'fields.s.length' = '8');
`
	q := ddl + `SELECT id, s, UPPER(s) AS u, UPPER(s) || '!' AS u2, SPLIT_INDEX(s, 'a', 0) AS f0, SPLIT_INDEX(s, 'a', 1) AS f1,
	SPLIT_INDEX(s, 'a', 2) AS f2 FROM g WHERE UPPER(s) <> 'X' OR SPLIT_INDEX(s, 'a', 1) IS NULL;`
	one := reviewQuery(t, 1, q)
	four := reviewQuery(t, 4, q)
	if len(one) != 4000 || !slices.Equal(one, four) {
		t.Fatalf("parallelism 1: %d rows, 4: %d rows", len(one), len(four))
	}
	field := func(s string, k int) string {
		p := strings.Split(s, "a")
		if s == "" || k >= len(p) {
			return "NULL"
		}
		return "'" + p[k] + "'"
	}
	for _, line := range one {
		f := strings.Split(line, "|")
		s := strings.Trim(f[1], "'")
		want := []string{f[0], f[1], "'" + strings.ToUpper(s) + "'", "'" + strings.ToUpper(s) + "!'", field(s, 0), field(s, 1), field(s, 2)}
		if !slices.Equal(f, want) {
			t.Fatalf("row %v, want %v", f, want)
		}
	}
}
