package stream_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector/file"
	"github.com/stromio/strom/stream"
)

type click struct {
	User string `json:"user"`
	TS   int64  `json:"ts"`
}

type userCount struct {
	User  string `json:"user"`
	End   int64  `json:"end"`
	Count int64  `json:"count"`
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFileToWindowToFile reads two JSON-lines files (one split each), counts
// clicks per user in 1 s event-time windows and writes part files; the
// result is read back and compared with a direct count, at parallelism 1 and 3.
func TestFileToWindowToFile(t *testing.T) {
	in := t.TempDir()
	want := map[string]int64{}
	for f := range 2 {
		var lines []string
		for i := range 300 {
			c := click{User: fmt.Sprint("u", (i*7+f)%5), TS: int64(i*10 + f)}
			b, _ := json.Marshal(c)
			lines = append(lines, string(b))
			want[fmt.Sprintf("%s@%d", c.User, c.TS/1000*1000+1000)]++
		}
		writeLines(t, filepath.Join(in, fmt.Sprintf("clicks-%d.jsonl", f)), lines)
	}
	for _, p := range []int{1, 3} {
		out := t.TempDir()
		env := stream.NewEnvironment(stream.Options{Parallelism: p})
		src := stream.FromSource[click](env, file.JSONLines[click](filepath.Join(in, "*.jsonl")),
			stream.WatermarkStrategy[click]{Enabled: true, Timestamp: func(c click) int64 { return c.TS }}, "clicks")
		ws := stream.KeyBy(src, func(c click) string { return c.User }).Window(stream.TumblingEventTimeWindows(time.Second))
		res := stream.WindowAggregateWithWindow(ws, stream.AggregatorFuncs[click, int64, int64]{
			CreateFn: func() int64 { return 0 },
			AddFn:    func(_ click, n int64) int64 { return n + 1 },
			MergeFn:  func(a, b int64) int64 { return a + b },
			ResultFn: func(n int64) int64 { return n },
		})
		rows := stream.Map(res, func(r stream.WindowResult[string, int64]) userCount {
			return userCount{User: r.Key, End: r.Window.End, Count: r.Value}
		})
		stream.SinkTo[userCount](rows, file.JSONLinesSink[userCount](out), "out")
		if err := env.Execute(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		parts, _ := filepath.Glob(filepath.Join(out, "part-*"))
		if len(parts) != p {
			t.Fatalf("p=%d: %d part files", p, len(parts))
		}
		for _, part := range parts {
			f, err := os.Open(part)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var u userCount
				if err := json.Unmarshal(sc.Bytes(), &u); err != nil {
					t.Fatalf("%s: %v", part, err)
				}
				got[fmt.Sprintf("%s@%d", u.User, u.End)] += u.Count
			}
			f.Close()
		}
		if fmt.Sprint(sortedMap(got)) != fmt.Sprint(sortedMap(want)) {
			t.Fatalf("p=%d:\n got %v\nwant %v", p, sortedMap(got), sortedMap(want))
		}
	}
}

func sortedMap(m map[string]int64) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(out)
	return out
}

// TestBadLineFailsJobWithLocation: a malformed line stops the job with the
// file, line and reason; nothing after it reaches the sink.
func TestBadLineFailsJobWithLocation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.jsonl")
	writeLines(t, path, []string{`{"user":"a","ts":1}`, `{"user":"b","ts":2}`, `{"user":`, `{"user":"c","ts":3}`})
	env := stream.NewEnvironment(stream.Options{})
	out := stream.Collect(stream.FromSource[click](env, file.JSONLines[click](path), stream.WatermarkStrategy[click]{}, "in"))
	err := env.Execute(context.Background())
	var le *file.LineError
	if !errors.As(err, &le) || le.Line != 3 || !strings.Contains(err.Error(), "in.jsonl line 3") {
		t.Fatalf("want a line error at line 3, got %v", err)
	}
	for _, c := range out.Values() {
		if c.User == "c" {
			t.Fatal("a record after the bad line reached the sink")
		}
	}
}
