package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	nexmarkgen "github.com/stromio/strom/connector/nexmark"
)

func runGen(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"nexmark", "gen"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func genExpected(t *testing.T, cfg nexmarkgen.GeneratorConfig) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := nexmarkgen.WriteJSONLines(&b, slices.Values(nexmarkgen.Generate(cfg))); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var genSummaryRE = regexp.MustCompile(`^nexmark gen: 1000 events \(20 persons, 60 auctions, 920 bids\), ` +
	`event time 2026-01-01T00:00:00\.000Z \.\. 2026-01-01T00:00:00\.(\d{3})Z \(([^)]+)\), [\d.]+ kB in \d+\.\d\ds \(\S+ events/s\) to (.*)\n$`)

func TestNexmarkGenFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "events.jsonl")
	side := filepath.Join(dir, "side.csv")
	code, stdout, stderr := runGen(t, "--events", "1000", "--seed", "3", "--rate", "10000", "--splits", "2",
		"--out", out, "--side-input", side)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "" {
		t.Errorf("stdout %q", stdout)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != genExpected(t, nexmarkgen.GeneratorConfig{Events: 1000, Seed: 3, Rate: 10000, Splits: 2}) {
		t.Fatal("the file is not the generated events")
	}
	lines := strings.SplitAfter(stderr, "\n")
	if len(lines) != 3 || lines[0] != "nexmark gen: q13 side input: 10000 rows to "+side+"\n" {
		t.Fatalf("stderr %q", stderr)
	}
	// 500 events per split at 5000 events/s each: the last at 99.8 ms.
	m := genSummaryRE.FindStringSubmatch(lines[1])
	if m == nil || m[1] != "099" || m[2] != "99ms" || m[3] != out {
		t.Fatalf("summary %q", lines[1])
	}
	csv, err := os.ReadFile(side)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(csv), "0,0\n1,1\n") || !strings.HasSuffix(string(csv), "\n9999,9999\n") {
		t.Errorf("side input %.20q...", csv)
	}
}

func TestNexmarkGenStdout(t *testing.T) {
	code, stdout, stderr := runGen(t, "--events", "1000", "--out", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Defaults: seed 1, rate 10M/s, one split.
	if stdout != genExpected(t, nexmarkgen.GeneratorConfig{Events: 1000, Seed: 1}) {
		t.Fatal("stdout is not the generated events")
	}
	if m := genSummaryRE.FindStringSubmatch(stderr); m == nil || m[1] != "000" || m[2] != "0s" || m[3] != "stdout" {
		t.Fatalf("summary %q", stderr)
	}
}

func TestNexmarkGenSideInputOnly(t *testing.T) {
	side := filepath.Join(t.TempDir(), "side.csv")
	if code, _, stderr := runGen(t, "--side-input", side); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, err := os.Stat(side); err != nil || fi.Size() == 0 {
		t.Fatal(fi, err)
	}
}

func TestNexmarkGenBaseTime(t *testing.T) {
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	for in, want := range map[string]int64{
		"":                     nexmarkgen.DefaultBaseTime,
		"now":                  now.UnixMilli(),
		"1000":                 1000,
		"2026-02-01T00:00:00Z": time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
	} {
		if got, err := parseBaseTime(in, now); err != nil || got != want {
			t.Errorf("parseBaseTime(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	code, stdout, stderr := runGen(t, "--events", "1", "--base-time", "now", "--out", "-")
	ev, err := nexmarkgen.ParseString(strings.TrimSpace(stdout))
	if code != 0 || err != nil || time.Since(time.UnixMilli(ev.Time())) > time.Minute {
		t.Fatalf("--base-time now: exit %d, %v, %q, %s", code, err, stdout, stderr)
	}
}

func TestNexmarkGenUsageErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.jsonl")
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{nil, `missing --out FILE (the events file, "-" for stdout) or --side-input FILE`},
		{[]string{"--events", "10"}, "missing --out FILE for the 10 events"},
		{[]string{"--out", out}, "--events must be at least 1, got 0"},
		{[]string{"--events", "-5", "--out", out}, "--events must be at least 1, got -5"},
		{[]string{"--events", "10", "--rate", "0", "--out", out}, "--rate must be at least 1 event per second of event time, got 0"},
		{[]string{"--events", "10", "--splits", "0", "--out", out}, "--splits must be between 1 and 1024, got 0"},
		{[]string{"--events", "10", "--base-time", "soon", "--out", out}, `--base-time: "soon" is not "now"`},
		{[]string{"--events", "10", "--base-time", "-3", "--out", out}, "--base-time: epoch milliseconds must be at least 1"},
		{[]string{"--events", "x", "--out", out}, `invalid argument "x" for "--events" flag: not a valid number`},
		{[]string{"--events", "10", "--out", out, "extra"}, "takes no arguments"},
		{[]string{"--events", "10", "--out", out, "--side-input", out}, "name the same file"},
	} {
		code, _, stderr := runGen(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.msg) || !strings.Contains(stderr, "strom nexmark gen --help") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.msg)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a usage error created the output file")
	}
}

func TestNexmarkGenFailures(t *testing.T) {
	// An output file that cannot be created is a failure, not a usage error.
	code, _, stderr := runGen(t, "--events", "10", "--out", filepath.Join(t.TempDir(), "no", "such", "dir.jsonl"))
	if code != 1 || !strings.Contains(stderr, "no such file or directory") {
		t.Errorf("exit %d, %q", code, stderr)
	}
	// Canceled: the output is reported incomplete.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var o, e bytes.Buffer
	code = run(ctx, []string{"nexmark", "gen", "--events", "100000", "--out", filepath.Join(t.TempDir(), "e.jsonl")}, &o, &e)
	if code != 1 || !strings.Contains(e.String(), "interrupted after 0 of 100000 events") {
		t.Errorf("canceled: exit %d, %q", code, e.String())
	}
}

func TestGenBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1 kB", 1500: "1.5 kB", 291_234_567: "291.2 MB", 2e12: "2 TB"} {
		if got := genBytes(n); got != want {
			t.Errorf("genBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
