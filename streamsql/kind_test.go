package streamsql

import "testing"

func TestIsQuery(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want bool
	}{
		{"CREATE TABLE t (a INT) WITH ('connector' = 'x'); SELECT a FROM t", true},
		{"SELECT 1;", true},
		{"CREATE TABLE t (a INT) WITH ('connector' = 'x'); INSERT INTO t SELECT 1", false},
		{"SELECT 1; INSERT INTO t SELECT 1", false},
		{"", false},
		{"SELEC 1", false},
	} {
		if got := IsQuery(c.sql); got != c.want {
			t.Errorf("IsQuery(%q) = %v", c.sql, got)
		}
	}
}
