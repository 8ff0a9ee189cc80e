package cli

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// windowRow is one printed window, as the test reads it back.
type windowRow struct {
	Window string // "12:00:03-12:00:04"
	Views  int64
	Pages  int
	Top    []string // "page=count", most viewed first
}

var rowRE = regexp.MustCompile(`^(\d\d:\d\d:\d\d-\d\d:\d\d:\d\d)\s+(\d+)\s+(\d+)\s+(.*)$`)

func parseRows(t *testing.T, out string) []windowRow {
	t.Helper()
	var rows []windowRow
	for line := range strings.SplitSeq(out, "\n") {
		m := rowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		views, _ := strconv.ParseInt(m[2], 10, 64)
		pages, _ := strconv.Atoi(m[3])
		f := strings.Fields(m[4])
		if len(f)%2 != 0 {
			t.Fatalf("odd top pages in row %q", line)
		}
		r := windowRow{Window: m[1], Views: views, Pages: pages}
		for i := 0; i < len(f); i += 2 {
			r.Top = append(r.Top, f[i]+"="+f[i+1])
		}
		rows = append(rows, r)
	}
	return rows
}

// expectRows counts the same generated events independently of the
// engine: a map per one-second window, sorted at the end.
func expectRows(events int64, seed uint64, rate, top int) []windowRow {
	eventRate := int64(rate)
	if rate == 0 {
		eventRate = 1000
	}
	perWindow := map[int64]map[string]int64{}
	for i := range events {
		ev := generatePageView(seed, i, eventRate)
		start := ev.TS - (ev.TS-exampleEpoch)%1000 // ts >= exampleEpoch
		if perWindow[start] == nil {
			perWindow[start] = map[string]int64{}
		}
		perWindow[start][ev.Page]++
	}
	var rows []windowRow
	for _, start := range slices.Sorted(mapsKeys(perWindow)) {
		pages := perWindow[start]
		type pc struct {
			page string
			n    int64
		}
		var all []pc
		var views int64
		for p, n := range pages {
			all = append(all, pc{p, n})
			views += n
		}
		slices.SortFunc(all, func(a, b pc) int {
			return cmp.Or(cmp.Compare(b.n, a.n), strings.Compare(a.page, b.page))
		})
		r := windowRow{
			Window: time.UnixMilli(start).UTC().Format("15:04:05") + "-" + time.UnixMilli(start+1000).UTC().Format("15:04:05"),
			Views:  views, Pages: len(all),
		}
		for _, x := range all[:min(top, len(all))] {
			r.Top = append(r.Top, fmt.Sprintf("%s=%d", x.page, x.n))
		}
		rows = append(rows, r)
	}
	return rows
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the job's sink and the test.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	onWrite func(string)
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.buf.Write(p)
	s := b.buf.String()
	b.mu.Unlock()
	if b.onWrite != nil {
		b.onWrite(s)
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestExampleCountsMatchGeneratedEvents(t *testing.T) {
	cases := []struct {
		events                 int64
		rate, parallelism, top int
		seed                   uint64
	}{
		{events: 5000, rate: 0, parallelism: 1, top: 3, seed: 7},
		{events: 5000, rate: 0, parallelism: 3, top: 3, seed: 7},
		{events: 4321, rate: 0, parallelism: 2, top: 24, seed: 42},
		{events: 2400, rate: 2000, parallelism: 2, top: 5, seed: 1}, // paced: 1.2s, 2 windows
	}
	for _, c := range cases {
		name := fmt.Sprintf("events=%d,rate=%d,p=%d,top=%d,seed=%d", c.events, c.rate, c.parallelism, c.top, c.seed)
		t.Run(name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			code := run(t.Context(), []string{"example",
				"--events", strconv.FormatInt(c.events, 10), "--rate", strconv.Itoa(c.rate),
				"--parallelism", strconv.Itoa(c.parallelism), "--top", strconv.Itoa(c.top),
				"--seed", strconv.FormatUint(c.seed, 10),
			}, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit code %d, stderr:\n%s", code, stderr.String())
			}
			out := stdout.String()
			got := parseRows(t, out)
			want := expectRows(c.events, c.seed, c.rate, c.top)
			if len(want) < 2 {
				t.Fatalf("test data covers %d windows; want several", len(want))
			}
			if !slices.EqualFunc(got, want, func(a, b windowRow) bool {
				return a.Window == b.Window && a.Views == b.Views && a.Pages == b.Pages && slices.Equal(a.Top, b.Top)
			}) {
				t.Fatalf("printed windows differ from the independent count\ngot:\n%v\nwant:\n%v\noutput:\n%s", got, want, out)
			}
			if wantDone := fmt.Sprintf("done: %d views in %d windows", c.events, len(want)); !strings.Contains(out, wantDone) {
				t.Errorf("output lacks %q:\n%s", wantDone, out)
			}
			if strings.Contains(out, "late") {
				t.Errorf("events were late although the disorder is within the watermark's bound:\n%s", out)
			}
		})
	}
}

// TestExampleCancel runs the unbounded example and cancels it, as Ctrl-C
// does, once the first window was printed.
func TestExampleCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stdout := &syncBuffer{onWrite: func(s string) {
		if rowRE.MatchString(lastLine(s)) {
			cancel()
		}
	}}
	var stderr syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"example", "--rate", "4000", "--parallelism", "2"}, stdout, &stderr) }()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit code %d after cancel, stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the job did not stop after cancel; output:\n%s", stdout.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "stopped: ") || len(parseRows(t, out)) == 0 {
		t.Fatalf("want at least one window and a stopped line, got:\n%s", out)
	}
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndexByte(s, '\n')+1:]
}

func TestCommandLineErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string // in stderr
	}{
		{[]string{"example", "--parallelism", "0"}, 2, "--parallelism must be between 1 and 256, got 0"},
		{[]string{"example", "--rate", "-1"}, 2, "--rate must be 0 (unlimited) or more"},
		{[]string{"example", "--events", "-3"}, 2, "--events must be 0 (unbounded) or more"},
		{[]string{"example", "--events", "many"}, 2, `invalid argument "many" for "--events" flag: not a valid number`},
		{[]string{"example", "--nope"}, 2, "unknown flag: --nope"},
		{[]string{"example", "now"}, 2, `takes no arguments, got "now"`},
		{[]string{"exampel"}, 2, `unknown command "exampel" (did you mean "example"?)`},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), c.args, &stdout, &stderr)
		if code != c.code || !strings.Contains(stderr.String(), c.want) || !strings.Contains(stderr.String(), "--help' for usage") {
			t.Errorf("strom %s: exit %d, stderr %q; want exit %d and %q with a pointer to --help",
				strings.Join(c.args, " "), code, stderr.String(), c.code, c.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("strom %s: printed to stdout on a usage error: %q", strings.Join(c.args, " "), stdout.String())
		}
	}
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"version"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "strom ") || !strings.Contains(stdout.String(), "go1.") {
		t.Errorf("version output %q", stdout.String())
	}
}

func TestFormatWindowAligned(t *testing.T) {
	row := formatWindow(WindowTop{Start: exampleEpoch, End: exampleEpoch + 1000, Views: 1234, Pages: 24, Top: []PageCount{
		{Page: "/gift-cards", Count: 1234}, {Page: "/home", Count: 7},
	}}, 2)
	header := windowHeader(2)
	// The views, pages and top columns end or start at the same offsets.
	for _, col := range []struct{ h, r string }{{"views", "1234"}, {"pages", "24"}} {
		if strings.Index(header, col.h)+len(col.h) != strings.Index(row, " "+col.r+" ")+1+len(col.r) {
			t.Errorf("column %s misaligned:\n%s\n%s", col.h, header, row)
		}
	}
	if strings.Index(header, "top") != strings.Index(row, "/gift-cards") {
		t.Errorf("top pages misaligned:\n%s\n%s", header, row)
	}
}
