package streamsql_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestReviewLowerSQL: LOWER sites of one x in a filter (NOT IN), a CASE
// and projections, over NULL, upper-case, Kelvin sign, dotted I and
// sigma texts; the results are what Go's strings.ToLower gives.
func TestReviewLowerSQL(t *testing.T) {
	texts := []string{"Apple", "APPLE", "apple", "K", "\u212A", "k", "İ", "i̇", "ΑΣ", "ας", "ασ", "zz", "ZZ", "", "Ab", "x"}
	var vals []string
	for _, s := range texts {
		vals = append(vals, fmt.Sprintf("(CAST('%s' AS STRING))", s))
	}
	vals = append(vals, "(CAST(NULL AS STRING))")
	q := `SELECT s, CASE WHEN LOWER(s) = 'apple' THEN 'a' WHEN 'k' = LOWER(s) THEN 'k' WHEN LOWER(s) = 'i̇' THEN 'i' WHEN LOWER(s) = 'ασ' THEN 's' WHEN LOWER(s) = 'K' THEN 'K' ELSE 'e' END,
  LOWER(s) IN ('apple', 'ας', 'K'), LOWER(s) = 'Apple', LOWER(s) NOT IN ('zz', 'k')
FROM (VALUES ` + strings.Join(vals, ", ") + `) AS t(s) WHERE LOWER(s) NOT IN ('zz', 'ab')`
	got := reviewQuery(t, 1, q)
	var want []string
	b := func(v bool) string { return strings.ToUpper(fmt.Sprint(v)) }
	for _, s := range texts {
		l := strings.ToLower(s)
		if l == "zz" || l == "ab" {
			continue
		}
		c := "e"
		switch l {
		case "apple":
			c = "a"
		case "k":
			c = "k"
		case "i̇":
			c = "i"
		case "ασ":
			c = "s"
		}
		want = append(want, fmt.Sprintf("'%s'|'%s'|%s|%s|%s", s, c, b(l == "apple" || l == "ας"), b(false), b(l != "zz" && l != "k")))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
