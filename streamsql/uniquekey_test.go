package streamsql_test

import (
	"strings"
	"testing"
)

// TestJoinUniqueKeySameRows runs the golden case join_unique_key (regular
// joins whose item side has a unique key its connector states: the unique mode,
// planner/uniquekey.go) and the same case with the key removed (the
// general mode): the same final rows, from plans that differ only there.
func TestJoinUniqueKeySameRows(t *testing.T) {
	dir := "../internal/sql/testdata/join_unique_key"
	src, err := readCase(dir + "/query.sql")
	if err != nil {
		t.Fatal(err)
	}
	general := strings.Replace(src, ", 'unique-key' = 'id'", "", 1)
	if general == src {
		t.Fatal("no unique key to remove")
	}
	var finals, plans [2]string
	for i, text := range []string{src, general} {
		for _, par := range []int{1, 2} {
			rows, _, _, err := runCase(t, dir, text, par)
			if err != nil {
				t.Fatal(err)
			}
			f := applyChangelog(t, rows)
			if par == 2 && f != finals[i] {
				t.Errorf("parallelism 2:\n%s\nparallelism 1:\n%s", f, finals[i])
			}
			finals[i] = f
		}
		i0 := strings.Index(text, "EXECUTE STATEMENT SET")
		_, plan, _, err := runCase(t, dir, text[:i0]+"EXPLAIN "+text[i0:], 1)
		if err != nil {
			t.Fatal(err)
		}
		plans[i] = plan
	}
	if finals[0] == "" || finals[0] != finals[1] {
		t.Errorf("unique mode:\n%s\ngeneral mode:\n%s", finals[0], finals[1])
	}
	if n := strings.Count(plans[0], "uniqueKey=["); n != 3 {
		t.Errorf("%d joins in the unique mode, want 3:\n%s", n, plans[0])
	}
	if strings.Contains(plans[1], "uniqueKey=[") {
		t.Errorf("a join in the unique mode without the primary key:\n%s", plans[1])
	}
}
