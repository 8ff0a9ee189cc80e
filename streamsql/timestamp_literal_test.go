package streamsql_test

import (
	"strings"
	"testing"
)

// TestTimestampLiteralOffsetKeepsFraction: a TIMESTAMP / TIMESTAMP_LTZ
// literal with a zone offset after its fraction ('... 00:00:00.123+08:00',
// which ParseTimestamp and the literal accept) is typed by the digits of
// its fraction (TIMESTAMP_LTZ(3)), so its CAST keeps the .123 (counting
// after the offset's ':' typed it precision 0 and cut it).
func TestTimestampLiteralOffsetKeepsFraction(t *testing.T) {
	out, _, err := runValuesScript(t, `{"id":1}`+"\n", `CREATE TABLE t (id INT) WITH ('connector' = 'values');
SELECT TIMESTAMP_LTZ '2020-01-01 08:00:00.123+08:00' AS a, TIMESTAMP '2020-01-01 08:00:00.5-01:00' AS b FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	if want := "+I | 2020-01-01 00:00:00.123 | 2020-01-01 09:00:00.5\n"; !strings.Contains(out, want) {
		t.Errorf("got\n%s\nwant a row %q", out, want)
	}
}
