package connector

import (
	"testing"
	"time"
)

type fakeFactory struct{}

func (fakeFactory) Name() string { return "fake" }
func (fakeFactory) Options() []TableOption {
	return []TableOption{{Key: "a", Required: true, Description: "the a"}, {Key: "b", Default: "2"}, {Key: "d"}, {Key: "s"}}
}

func TestCheckTableOptions(t *testing.T) {
	tc := TableContext{Name: "t", Options: map[string]string{"a": "1"}}
	o, err := CheckTableOptions(fakeFactory{}, tc)
	if err != nil || o.Get("a") != "1" || o.Get("b") != "2" || o.Has("b") || !o.Has("a") {
		t.Fatal(o, err)
	}
	if n, err := o.Int("b", 0, 1); err == nil || err.Error() != `strom: table "t": connector 'fake': option 'b' is '2', want an integer in [0, 1]` {
		t.Fatal(n, err)
	}
	for _, c := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{}, `strom: table "t": connector 'fake': missing required option 'a' (the a)`},
		{map[string]string{"a": "1", "z": "1", "c": "1"}, `strom: table "t": connector 'fake': unknown option 'c' (allowed: 'a', 'b', 'd', 's')`},
	} {
		if _, err := CheckTableOptions(fakeFactory{}, TableContext{Name: "t", Options: c.opts}); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
	for in, want := range map[string]time.Duration{"10s": 10 * time.Second, "10 s": 10 * time.Second, "1 min": time.Minute, "500": 500 * time.Millisecond, "2 h": 2 * time.Hour, "1m30s": 90 * time.Second} {
		if d, err := ParseDuration(in); err != nil || d != want {
			t.Errorf("%q: %v %v", in, d, err)
		}
	}
	for _, in := range []string{"", "x", "-1", "1 fortnight", "-5s", "9223372036854775807", "9223372036855 ms", "106752 d", "9223372036854775807 h"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
	for in, want := range map[string]int64{"128mb": 128 << 20, "1 kb": 1024, "7": 7, "2g": 2 << 30} {
		o, _ := CheckTableOptions(fakeFactory{}, TableContext{Options: map[string]string{"a": "1", "s": in}})
		if n, err := o.Bytes("s"); err != nil || n != want {
			t.Errorf("%q: %d %v", in, n, err)
		}
	}
}
