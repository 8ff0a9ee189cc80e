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

// TestReviewSharedLowerParallel: q21's shape (a filter's LOWER(x) IN and
// a CASE of LOWER(x) = 'k' sharing one match of x, REGEXP_EXTRACT in the
// filter and the ELSE) gives at parallelism 4 what it gives at
// parallelism 1, and what Go computes, NULL x included.
func TestReviewSharedLowerParallel(t *testing.T) {
	const ddl = `CREATE TABLE g (id BIGINT, s STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '4000', 'seed' = '5',
	'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '4000', 'fields.s.length' = '2',
	'fields.s.null-rate' = '0.1');
`
	q := ddl + `SELECT id, s, CASE WHEN LOWER(UPPER(s)) = 'a1' THEN '0' WHEN 'b2' = LOWER(UPPER(s)) THEN '1'
	WHEN LOWER(UPPER(s)) = 'c3' THEN '2' ELSE REGEXP_EXTRACT(s, '(^|e)([0-9])', 2) END AS k
	FROM g WHERE REGEXP_EXTRACT(s, '(^|e)([0-9])', 2) IS NOT NULL OR LOWER(UPPER(s)) IN ('c3', 'a1', 'b2', 'dd');`
	one := reviewQuery(t, 1, q)
	four := reviewQuery(t, 4, q)
	if len(one) == 0 || !slices.Equal(one, four) {
		t.Fatalf("parallelism 1: %d rows, 4: %d rows", len(one), len(four))
	}
	extract := func(s string) (string, bool) {
		if s != "" && s[0] >= '0' && s[0] <= '9' {
			return s[:1], true
		}
		if i := strings.IndexByte(s, 'e'); i >= 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
			return s[i+1 : i+2], true
		}
		return "", false
	}
	ids := map[string]string{"a1": "0", "b2": "1", "c3": "2"}
	hot := 0
	for _, line := range one {
		f := strings.Split(line, "|")
		if f[1] == "NULL" {
			t.Fatalf("row %v: a NULL s passes the filter", f)
		}
		s := strings.Trim(f[1], "'")
		e, ok := extract(s)
		id, isHot := ids[s]
		if !ok && !isHot && s != "dd" {
			t.Fatalf("row %v passes the filter", f)
		}
		want := "NULL"
		switch {
		case isHot:
			want, hot = "'"+id+"'", hot+1
		case ok:
			want = "'" + e + "'"
		}
		if f[2] != want {
			t.Fatalf("row %v, want k %s", f, want)
		}
	}
	if hot == 0 {
		t.Fatal("no row of a constant")
	}
	// No row is missing: every input row the filter keeps is there.
	kept := 0
	for _, line := range reviewQuery(t, 1, ddl+`SELECT id, s FROM g;`) {
		s := strings.Trim(strings.Split(line, "|")[1], "'")
		_, ok := extract(s)
		if _, isHot := ids[s]; (ok || isHot || s == "dd") && !strings.HasSuffix(line, "|NULL") {
			kept++
		}
	}
	if kept != len(one) {
		t.Fatalf("%d rows, want %d", len(one), kept)
	}
}
