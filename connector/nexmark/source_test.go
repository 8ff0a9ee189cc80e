package nexmark

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/stromio/strom/connector"
)

// tb is what the helpers need of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// readAll reads a reader to the end in batches of the given sizes (cycled)
// and checks the timestamps against the events.
func readAll(t tb, r connector.Reader[Event], batches ...int) []Event {
	t.Helper()
	var out []Event
	tr := r.(connector.Timestamped[Event])
	for i := 0; ; i++ {
		n := batches[i%len(batches)]
		buf, ts := make([]Event, n), make([]int64, n)
		k, err := tr.ReadTimestamped(context.Background(), buf, ts)
		for j := range k {
			if ts[j] != buf[j].Time() {
				t.Fatalf("timestamp %d of event with time %d", ts[j], buf[j].Time())
			}
		}
		out = append(out, buf[:k]...)
		if errors.Is(err, io.EOF) {
			if k != 0 {
				t.Fatalf("EOF with %d events", k)
			}
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 && n > 0 {
			t.Fatal("a bounded split returned no events and no EOF")
		}
	}
}

func mustOpen(t tb, src *Source, split int, pos []byte) connector.Reader[Event] {
	t.Helper()
	splits, err := src.Splits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, err := src.Open(context.Background(), splits[split], pos)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSourceEqualsGenerate(t *testing.T) {
	cfg := GeneratorConfig{Events: 10_007, Splits: 3, Seed: 11}
	src := NewSource(cfg)
	if !src.Bounded() || src.Config().Rate != DefaultRate {
		t.Fatal("source config")
	}
	splits, err := src.Splits(context.Background())
	if err != nil || len(splits) != 3 || splits[2].ID != "nexmark-2" {
		t.Fatalf("splits %v, %v", splits, err)
	}
	var all []Event
	for i := range splits {
		r := mustOpen(t, src, i, nil)
		all = append(all, readAll(t, r, 1000, 1, 77, 0)...)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if err := r.Close(); err != nil {
			t.Fatal("second Close:", err)
		}
		if _, err := r.Read(context.Background(), make([]Event, 1)); err == nil {
			t.Fatal("Read after Close succeeded")
		}
	}
	if !reflect.DeepEqual(all, Generate(cfg)) {
		t.Fatal("readers and Generate differ")
	}
	// Plain Read gives the same events.
	r := mustOpen(t, src, 1, nil)
	buf := make([]Event, 10)
	if n, err := r.Read(context.Background(), buf); n != 10 || err != nil {
		t.Fatal(n, err)
	}
	first, _ := cfg.WithDefaults().splitRange(1)
	if !reflect.DeepEqual(buf, Generate(cfg)[first:first+10]) {
		t.Fatal("Read differs from ReadTimestamped")
	}
}

func TestUnboundedSource(t *testing.T) {
	src := NewSource(GeneratorConfig{Splits: 2})
	if src.Bounded() {
		t.Fatal("Events 0 must be unbounded")
	}
	r := mustOpen(t, src, 1, nil)
	buf := make([]Event, 100)
	n, err := r.Read(context.Background(), buf)
	if n != 100 || err != nil {
		t.Fatal(n, err)
	}
	// Split 1 starts at event id R (a person, as R is a multiple of 50).
	first, _ := src.Config().splitRange(1)
	if buf[0].Person == nil || buf[0].Person.ID != first/50+FirstPersonID {
		t.Fatalf("first event of split 1: %+v", buf[0])
	}
}

func TestPositionResume(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := GeneratorConfig{
			Events:              rapid.Int64Range(1, 3000).Draw(t, "events"),
			Splits:              rapid.IntRange(1, 5).Draw(t, "splits"),
			Seed:                rapid.Int64().Draw(t, "seed"),
			OutOfOrderGroupSize: rapid.SampledFrom([]int{1, 1, 7}).Draw(t, "ooo"),
		}
		src := NewSource(cfg)
		split := rapid.IntRange(0, cfg.Splits-1).Draw(t, "split")
		full := readAll(t, mustOpen(t, src, split, nil), 64)
		k := rapid.IntRange(0, len(full)).Draw(t, "k")
		r := mustOpen(t, src, split, nil)
		var head []Event
		for len(head) < k {
			buf := make([]Event, min(rapid.IntRange(1, 50).Draw(t, "batch"), k-len(head)))
			n, err := r.Read(context.Background(), buf)
			if err != nil {
				t.Fatal(err)
			}
			head = append(head, buf[:n]...)
		}
		pos := r.Position()
		rest := readAll(t, mustOpen(t, src, split, pos), rapid.IntRange(1, 100).Draw(t, "batch2"))
		if !reflect.DeepEqual(append(head, rest...), full) {
			t.Fatalf("resume at %d differs", k)
		}
		// The position at the end reopens to EOF.
		end := r.(*Reader)
		readAll(t, end, 1000)
		if got := readAll(t, mustOpen(t, src, split, end.Position()), 5); len(got) != 0 {
			t.Fatalf("%d events after the end", len(got))
		}
	})
}

func TestCorruptPosition(t *testing.T) {
	src := NewSource(GeneratorConfig{Events: 100, Splits: 2})
	r := mustOpen(t, src, 0, nil)
	readAll(t, r, 7)
	good := r.Position()
	splits, _ := src.Splits(context.Background())
	if _, err := src.Open(context.Background(), splits[0], good); err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"empty":       {},
		"truncated":   good[:len(good)-1],
		"trailing":    append(append([]byte{}, good...), 0),
		"version":     append([]byte{9}, good[1:]...),
		"other split": encodePosition(1, 3),
		"past end":    encodePosition(0, 51),
		"garbage":     []byte("not a position at all"),
	}
	for i := range good {
		b := append([]byte{}, good...)
		b[i] ^= 0x10
		bad["flip "+string(rune('0'+i))] = b
	}
	for name, p := range bad {
		_, err := src.Open(context.Background(), splits[0], p)
		if err == nil || !errors.Is(err, ErrCorruptPosition) {
			t.Errorf("%s: error %v, want ErrCorruptPosition", name, err)
		}
	}
	// Splits of another source configuration are rejected.
	other, _ := NewSource(GeneratorConfig{Events: 100, Splits: 3}).Splits(context.Background())
	if _, err := src.Open(context.Background(), other[0], nil); err == nil {
		t.Error("a split of a 3-split source opened in a 2-split source")
	}
	if _, err := src.Open(context.Background(), connector.Split{ID: "x", Data: []byte{0xff}}, nil); err == nil {
		t.Error("garbage split data accepted")
	}
}

func TestInvalidSource(t *testing.T) {
	src := NewSource(GeneratorConfig{Rate: -1})
	if _, err := src.Splits(context.Background()); err == nil || !strings.Contains(err.Error(), "Rate") {
		t.Errorf("Splits: %v", err)
	}
	if _, err := src.Open(context.Background(), connector.Split{}, nil); err == nil {
		t.Error("Open of an invalid source succeeded")
	}
}

func TestRateLimited(t *testing.T) {
	// 2000 events/s: 60 events take 29.5 ms at least (the first is due at
	// once).
	src := NewSource(GeneratorConfig{Events: 60, Rate: 2000, RateLimited: true})
	r := mustOpen(t, src, 0, nil)
	start := time.Now()
	var got []Event
	buf := make([]Event, 16)
	for {
		n, err := r.Read(context.Background(), buf)
		got = append(got, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < 29*time.Millisecond {
			due := DefaultBaseTime + int64(el/time.Millisecond) + 1
			if len(got) > 0 && got[len(got)-1].Time() > due {
				t.Fatalf("event at %d read after %v", got[len(got)-1].Time()-DefaultBaseTime, el)
			}
		}
	}
	if el := time.Since(start); el < 29*time.Millisecond {
		t.Errorf("60 events at 2000/s read in %v", el)
	}
	if !reflect.DeepEqual(got, Generate(GeneratorConfig{Events: 60, Rate: 2000})) {
		t.Error("rate-limited events differ")
	}
	// A canceled context ends a wait.
	slow := mustOpen(t, NewSource(GeneratorConfig{Events: 10, Rate: 1, RateLimited: true}), 0, nil)
	if n, err := slow.Read(context.Background(), buf); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := slow.Read(ctx, buf); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled read: %v", err)
	}
	// Without cancellation a read waits at most 20ms and returns nothing.
	start = time.Now()
	if n, err := slow.Read(context.Background(), buf); n != 0 || err != nil {
		t.Errorf("early read: %d, %v", n, err)
	}
	if el := time.Since(start); el < 15*time.Millisecond {
		t.Errorf("early read returned after %v", el)
	}
}

// TestRateLimitedWallClock: on the wall clock an event is due when the wall
// clock reaches its event time: a base time in the past comes at once, no
// event comes before its time.
func TestRateLimitedWallClock(t *testing.T) {
	base := time.Now().Add(-time.Second).UnixMilli()
	src := NewSource(GeneratorConfig{Events: 1_200, Rate: 1000, BaseTime: base, RateLimited: true, WallClock: true})
	r := mustOpen(t, src, 0, nil)
	buf := make([]Event, 5000)
	n, err := r.Read(context.Background(), buf)
	if err != nil {
		t.Fatal(err)
	}
	if n < 950 {
		t.Fatalf("the first read of a second in the past gave %d events, want about 1000 at once", n)
	}
	total := n
	for total < 1_200 {
		k, err := r.Read(context.Background(), buf)
		now := time.Now().UnixMilli()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range buf[:k] {
			if e.Time() > now {
				t.Fatalf("event of %d read at %d, before its time", e.Time(), now)
			}
		}
		total += k
	}
}
