package cep

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/stromio/strom/codec"
)

func statePattern() *compiled[string] {
	c, err := compile(Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")).OneOrMore().Greedy().
		NotFollowedBy("n").Where(is("n")).FollowedBy("c").Where(is("c")))
	if err != nil {
		panic(err)
	}
	return c
}

// stateAfter feeds events to the pattern and returns its state.
func stateAfter(c *compiled[string], events string) *nfaState[string] {
	m := newMachine(c)
	st := &nfaState[string]{}
	for i, v := range strings.Fields(events) {
		m.process(st, int64(i*3-5), v, nil)
	}
	return st
}

func TestStateRoundTrip(t *testing.T) {
	c := statePattern()
	st := stateAfter(c, "a1 b1 x a2 b2 b3 y")
	if len(st.runs) < 3 {
		t.Fatalf("only %d runs", len(st.runs))
	}
	idx := map[uint64]uint64{}
	b := appendState(nil, c, codec.String{}, st, idx)
	got, err := decodeState(b, c, codec.String{})
	if err != nil {
		t.Fatal(err)
	}
	if b2 := appendState(nil, c, codec.String{}, got, idx); !bytes.Equal(b, b2) {
		t.Fatal("encode(decode(b)) != b")
	}
	// Feeding the same continuation to both gives the same matches.
	m1, m2 := newMachine(c), newMachine(c)
	var o1, o2 []Match[string]
	for i, v := range []string{"b4", "c1", "a3", "b5", "c2"} {
		o1 = m1.process(st, int64(100+i), v, o1)
		o2 = m2.process(got, int64(100+i), v, o2)
	}
	var s1, s2 []string
	for i := range o1 {
		s1 = append(s1, show(o1[i]))
	}
	for i := range o2 {
		s2 = append(s2, show(o2[i]))
	}
	if strings.Join(s1, "|") != strings.Join(s2, "|") || len(s1) == 0 {
		t.Fatalf("after restore %q, before %q", s2, s1)
	}
	// Every single-bit flip is caught by the checksum.
	for i := range b {
		bad := bytes.Clone(b)
		bad[i] ^= 0x10
		if _, err := decodeState(bad, c, codec.String{}); err == nil {
			t.Fatalf("flipped byte %d decoded", i)
		}
	}
	// Another pattern's state is refused.
	other, _ := compile(Begin[string]("a").Next("z"))
	if _, err := decodeState(b, other, codec.String{}); err == nil || !strings.Contains(err.Error(), "another pattern") {
		t.Fatalf("other pattern: %v", err)
	}
}

func TestBucketRoundTrip(t *testing.T) {
	var b []byte
	for _, v := range []string{"x", "", strings.Repeat("y", 300)} {
		b = appendEvent(b, codec.String{}, v)
	}
	var got []string
	if err := eachEvent(b, codec.String{}, func(v string) error { got = append(got, v); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "x" || got[1] != "" || len(got[2]) != 300 {
		t.Fatalf("got %q", got)
	}
	b[3] ^= 1
	if err := eachEvent(b, codec.String{}, func(string) error { return nil }); !errors.Is(err, errState) {
		t.Fatalf("corrupt bucket: %v", err)
	}
}

// FuzzStateDecode: decoding never panics, errors are of errState's class
// (or the pattern mismatch), and what decodes re-encodes to the same bytes.
func FuzzStateDecode(f *testing.F) {
	c := statePattern()
	idx := map[uint64]uint64{}
	for _, evs := range []string{"", "a1", "a1 b1 x a2 b2 b3 y", "a1 a2 b1 n b2"} {
		f.Add(appendState(nil, c, codec.String{}, stateAfter(c, evs), idx))
	}
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		// The same bytes with a valid checksum reach the structural checks.
		if len(b) > 9 {
			fixed := binary.BigEndian.AppendUint32(bytes.Clone(b), crc32.Checksum(b, castagnoli))
			if _, err := decodeState(fixed, c, codec.String{}); err != nil && !errors.Is(err, errState) && !strings.Contains(err.Error(), "another pattern") {
				t.Fatalf("error of no class: %v", err)
			}
		}
		st, err := decodeState(b, c, codec.String{})
		if err != nil {
			if !errors.Is(err, errState) && !strings.Contains(err.Error(), "another pattern") {
				t.Fatalf("error of no class: %v", err)
			}
			return
		}
		if b2 := appendState(nil, c, codec.String{}, st, map[uint64]uint64{}); !bytes.Equal(b, b2) {
			t.Fatalf("re-encoding differs")
		}
	})
}

// FuzzBucketDecode: the event buffer's decoder never panics.
func FuzzBucketDecode(f *testing.F) {
	f.Add(appendEvent(appendEvent(nil, codec.String{}, "a"), codec.String{}, "bc"))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var n int
		err := eachEvent(b, codec.String{}, func(string) error { n++; return nil })
		if err != nil && !errors.Is(err, errState) {
			t.Fatalf("error of no class: %v", err)
		}
	})
}

// TestStateManyEvents: more events than the linear-scan table holds (the
// index map path) round-trip too.
func TestStateManyEvents(t *testing.T) {
	c, err := compile(Begin[string]("a").Where(is("a")).FollowedBy("b").Where(is("b")).OneOrMore().FollowedBy("c").Where(is("c")))
	if err != nil {
		t.Fatal(err)
	}
	evs := "a0"
	for i := range 40 {
		evs += " b" + string(rune('0'+i%10))
	}
	st := stateAfter(c, evs)
	b := appendState(nil, c, codec.String{}, st, map[uint64]uint64{})
	got, err := decodeState(b, c, codec.String{})
	if err != nil {
		t.Fatal(err)
	}
	longest := 0
	for _, r := range got.runs {
		longest = max(longest, len(r.steps))
	}
	if len(got.runs) != len(st.runs) || longest != 41 {
		t.Fatalf("%d runs (longest %d events), want %d (41)", len(got.runs), longest, len(st.runs))
	}
	if b2 := appendState(nil, c, codec.String{}, got, map[uint64]uint64{}); !bytes.Equal(b, b2) {
		t.Fatal("encode(decode(b)) != b")
	}
}
