package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/journal"
)

// runDemoUntil runs the demo until its output has want (or fails after a
// generous deadline), then stops it as Ctrl-C would.
func runDemoUntil(t *testing.T, c *demoConfig, want func(out string) bool) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	errb := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- runDemo(ctx, c, out, errb) }()
	deadline := time.Now().Add(2 * time.Minute)
	for !want(out.String()) {
		select {
		case err := <-done:
			t.Fatalf("the demo ended early: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("the demo's output never had what the test waits for:\n%s", out.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo: %v\nstderr:\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "strom demo stopped; run it again") {
		t.Errorf("no stop message:\n%s", out.String())
	}
	return out.String()
}

// TestDemoRunsAndResumes runs `strom demo` until results show, stops it,
// runs it again (it resumes the jobs from their checkpoints) until newer
// results show, and checks what the jobs committed to the result topics:
// every window ranked once (exactly once across the stop and the resume).
func TestDemoRunsAndResumes(t *testing.T) {
	dir := t.TempDir()
	c := &demoConfig{DataDir: dir, Addr: "127.0.0.1:0", Rate: 2000, Interval: 200 * time.Millisecond}
	out1 := runDemoUntil(t, c, func(s string) bool {
		return strings.Count(s, " hot_items ") >= 2 && strings.Contains(s, " highest_bid ") && strings.Contains(s, " new_users ")
	})
	if !strings.Contains(out1, "started the generator and three SQL jobs") || !strings.Contains(out1, "dashboard: http://127.0.0.1:") {
		t.Fatalf("first run:\n%s", out1)
	}
	hot1 := demoRows(t, dir, "hot_items")
	out2 := runDemoUntil(t, c, func(s string) bool { return strings.Count(s, " hot_items ") >= 2 })
	if !strings.Contains(out2, "resumed the jobs") {
		t.Fatalf("second run did not resume:\n%s", out2)
	}
	hot2 := demoRows(t, dir, "hot_items")
	if len(hot2) <= len(hot1) {
		t.Fatalf("the second run added no hot items (%d, then %d rows)", len(hot1), len(hot2))
	}
	seen := map[string]bool{}
	for _, r := range hot2 {
		k := fmt.Sprint(r["window_end"], "/", r["rk"])
		if seen[k] {
			t.Fatalf("window rank %s committed twice", k)
		}
		seen[k] = true
	}
	highest := map[string]bool{}
	for _, r := range demoRows(t, dir, "highest_bid") {
		k := fmt.Sprint(r["window_end"])
		if highest[k] {
			t.Fatalf("highest bid of window %s committed twice", k)
		}
		highest[k] = true
	}
}

// demoRows reads the committed rows of a result topic of a stopped demo.
func demoRows(t *testing.T, dir, topic string) []map[string]any {
	t.Helper()
	j, err := journal.Open(filepath.Join(dir, "journal"), journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	var rows []map[string]any
	for p := range 2 {
		_, end, err := j.Bounds(topic, p)
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(0); off < end; {
			msgs, next, err := j.Fetch(context.Background(), topic, p, off, journal.ReadOptions{Isolation: journal.ReadCommitted})
			if err != nil {
				t.Fatal(err)
			}
			if next == off {
				break
			}
			off = next
			for _, m := range msgs {
				var r map[string]any
				if err := json.Unmarshal(m.Value, &r); err != nil {
					t.Fatalf("%s: %v", m.Value, err)
				}
				rows = append(rows, r)
			}
		}
	}
	return rows
}
