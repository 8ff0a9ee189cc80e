package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	nexmarkgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/nexmark"
)

// nxReadRows reads JSON lines as raw rows for nexmark.Canonical.
func nxReadRows(t *testing.T, data []byte) []any {
	t.Helper()
	var rows []any
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			t.Fatalf("result line is not JSON: %q", line)
		}
		rows = append(rows, json.RawMessage(bytes.Clone(line)))
	}
	return rows
}

// nxCheckOracle compares the rows a run wrote with q's oracle over events.
func nxCheckOracle(t *testing.T, name string, out []byte, events []nexmarkgen.Event) {
	t.Helper()
	q, err := nexmark.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := nexmark.Canonical(nxReadRows(t, out), q.Updating)
	if err != nil {
		t.Fatal(err)
	}
	oracle, err := q.Oracle(events, nexmark.Config{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := nexmark.Canonical(oracle, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 {
		t.Fatalf("%s: the oracle has no rows; the test proves nothing", name)
	}
	if !slices.Equal(got, want) {
		i := 0
		for i < min(len(got), len(want)) && got[i] == want[i] {
			i++
		}
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		t.Fatalf("%s: %d rows, oracle %d; first difference at sorted row %d:\n got  %s\n want %s", name, len(got), len(want), i, g, w)
	}
}

// nxRun runs strom with args and returns exit code, stdout and stderr.
func nxRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// The generator settings of the run tests: 30 s of event time, so that
// windows open and close during the run, on two splits.
const (
	nxEvents = 30_000
	nxRate   = 1_000
	nxSplits = 2
	nxSeed   = 9
)

var nxQueries = []string{"q0", "q5", "q4"} // pass-through, sliding window, updating join

func TestNexmarkRunGeneratorMatchesOracle(t *testing.T) {
	events := nexmarkgen.Generate(nexmarkgen.GeneratorConfig{Events: nxEvents, Seed: nxSeed, Rate: nxRate, Splits: nxSplits})
	for _, name := range nxQueries {
		for _, p := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/p=%d", name, p), func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "out.jsonl")
				code, stdout, stderr := nxRun(t, "nexmark", "run", "--query", name, "--events", fmt.Sprint(nxEvents),
					"--seed", fmt.Sprint(nxSeed), "--rate", fmt.Sprint(nxRate), "--splits", fmt.Sprint(nxSplits),
					"--parallelism", fmt.Sprint(p), "--out", out)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if stdout != "" {
					t.Errorf("printed to stdout with --out FILE: %q", stdout)
				}
				if !strings.Contains(stderr, name+": ") || !strings.Contains(stderr, "-> "+out) {
					t.Errorf("summary missing: %q", stderr)
				}
				data, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				nxCheckOracle(t, name, data, events)
			})
		}
	}
}

func TestNexmarkRunFileMatchesOracle(t *testing.T) {
	events := nexmarkgen.Generate(nexmarkgen.GeneratorConfig{Events: nxEvents, Seed: nxSeed + 1, Rate: nxRate})
	dir := t.TempDir()
	in := filepath.Join(dir, "events.jsonl")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nexmarkgen.WriteJSONLines(f, slices.Values(events)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range nxQueries {
		t.Run(name, func(t *testing.T) {
			// --out - writes the rows to standard output.
			code, stdout, stderr := nxRun(t, "nexmark", "run", "--query", name, "--input", in, "--out", "-")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if want := fmt.Sprintf("%s events of %s", groupDigits(nxEvents), in); !strings.Contains(stderr, want) {
				t.Errorf("summary does not count the %d input events: %q", nxEvents, stderr)
			}
			nxCheckOracle(t, name, []byte(stdout), events)
		})
	}
}

func TestNexmarkRunBadInputLine(t *testing.T) {
	good := `{"event_type":2,"bid":{"auction":1000,"bidder":1001,"price":5,"dateTime":1767225600000}}`
	cases := []struct {
		name, content, want string
	}{
		{"truncated", good + "\n" + good + "\n" + `{"event_type":2,"bid":{"auction":1` + "\n", "line 3: invalid JSON"},
		{"wrong type", good + "\n\n" + `{"event_type":2,"bid":{"auction":"x"}}` + "\n", "line 3: JSON does not fit"},
		{"not JSON", "hello\n", "line 1: invalid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := filepath.Join(t.TempDir(), "bad.jsonl")
			if err := os.WriteFile(in, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := nxRun(t, "nexmark", "run", "--query", "q0", "--input", in,
				"--out", filepath.Join(t.TempDir(), "out.jsonl"))
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr %q", code, stderr)
			}
			if want := "strom: " + in + " " + c.want; !strings.HasPrefix(stderr, want) {
				t.Errorf("stderr %q\nwant it to start with %q", stderr, want)
			}
			if strings.Count(stderr, "strom:") != 1 || strings.Contains(stderr, "subtask") {
				t.Errorf("the message carries the engine's wrapping: %q", stderr)
			}
		})
	}
	code, _, stderr := nxRun(t, "nexmark", "run", "--query", "q0", "--input", filepath.Join(t.TempDir(), "missing.jsonl"), "--out", "-")
	if code != 1 || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing input: exit %d, %q", code, stderr)
	}
}

func TestNexmarkRunUsageErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.jsonl")
	in := filepath.Join(t.TempDir(), "in.jsonl")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--events", "10", "--out", out}, "--query is required"},
		{[]string{"--query", "q99", "--events", "10", "--out", out}, `unknown query "q99"`},
		{[]string{"--query", "q0", "--out", out}, "--input FILE"},
		{[]string{"--query", "q0", "--input", in, "--events", "5", "--out", out}, "exclude each other"},
		{[]string{"--query", "q0", "--events", "0", "--out", out}, "--events must be at least 1"},
		{[]string{"--query", "q0", "--events", "10"}, "--out FILE is required"},
		{[]string{"--query", "q0", "--events", "10", "--out", out, "--parallelism", "0"}, "--parallelism must be between 1 and 256"},
		{[]string{"--query", "q0", "--input", in, "--seed", "3", "--out", out}, "--seed configures the generator"},
		{[]string{"--query", "q0", "--events", "10", "--splits", "0", "--out", out}, "--splits and --rate must be at least 1"},
		{[]string{"--query", "q0", "--events", "10", "--splits", "5000", "--out", out}, "Splits must be between"},
		{[]string{"--query", "q0", "--events", "10", "--rate", "-5", "--out", out}, "--splits and --rate must be at least 1"},
		{[]string{"--query", "q0", "--events", "10", "--side-input", in, "--out", out}, "--side-input is only used by q13"},
		{[]string{"--query", "q10", "--events", "10", "--out", out}, "--out-dir"},
		{[]string{"--query", "q0", "--events", "ten", "--out", out}, "not a valid number"},
		{[]string{"--query", "q0", "--events", "10", "--base-time", "yesterday", "--out", out}, "--base-time: "},
		{[]string{"--query", "q0", "--input", in, "--base-time", "now", "--out", out}, "--base-time configures the generator"},
		{[]string{"--query", "q0", "--events", "10", "--out", out, "extra"}, "takes no arguments"},
	}
	for _, c := range cases {
		args := append([]string{"nexmark", "run"}, c.args...)
		code, stdout, stderr := nxRun(t, args...)
		if code != 2 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "strom nexmark run --help") {
			t.Errorf("strom %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(args, " "), code, stderr, c.want)
		}
		if stdout != "" {
			t.Errorf("strom %s: stdout %q", strings.Join(args, " "), stdout)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a usage error created the result file")
	}
}
