package streamsql_test

import (
	"strings"
	"testing"
)

// TestDistinctNaNIsOneValue: every NaN is one value of COUNT(DISTINCT)
// (Flink's distinct key is a Double, whose equals/serializer canonicalise
// NaN; the window path, through table.Compare, counts 1 too), though the
// NaNs of CAST('NaN'), SQRT(-1) and 0/0 need not have the same bits: the
// views' map key is the encoding of a canonical NaN.
func TestDistinctNaNIsOneValue(t *testing.T) {
	const q = `SELECT k, COUNT(DISTINCT f) AS c FROM (VALUES ('a', CAST('NaN' AS DOUBLE)), ('a', SQRT(-1.0e0)), ('a', 0.0e0 / 0.0e0)) AS t(k, f) GROUP BY k`
	out, _, err := runValuesScript(t, "", q)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; last != "+U | a | 1" && last != "+I | a | 1" {
		t.Fatalf("last change %q, want COUNT(DISTINCT) 1 (all NaNs are one value)\n%s", last, out)
	}
}
