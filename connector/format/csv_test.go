package format

import (
	"reflect"
	"testing"
)

func TestCSVSplitter(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  string
	}{
		{"", []string{""}, ""},
		{",", []string{"", ""}, ""},
		{`a,"b""c",`, []string{"a", `b"c`, ""}, ""},
		{`"",""`, []string{"", ""}, ""},
		{"\"x\r\ny\"", []string{"x\ny"}, ""},
		{`"a`, nil, "unterminated quoted field in column 1"},
		{`a,"b"c`, nil, `extraneous or missing " in quoted field in column 2`},
		{`a,b"`, nil, `bare " in non-quoted field in column 2`},
		{"a,b\r\nc", nil, `line break in non-quoted field in column 2`},
	}
	sp := newCSVSplitter(',')
	for _, c := range cases {
		le := sp.split([]byte(c.in))
		if c.err != "" {
			if le == nil || le.Reason != c.err || le.Class != ClassCSV {
				t.Errorf("%q: got %v, want %s", c.in, le, c.err)
			}
			continue
		}
		var got []string
		for i := range sp.n() {
			got = append(got, string(sp.field(i)))
		}
		if le != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %q %v, want %q", c.in, got, le, c.want)
		}
	}
}
