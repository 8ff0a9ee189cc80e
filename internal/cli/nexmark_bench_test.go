package cli

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// nxChildEnv makes the test binary act as the strom binary: `strom nexmark
// bench` starts its measured runs by re-executing os.Executable(), which
// in a test is this binary.
const nxChildEnv = "STROM_CLI_TEST_AS_STROM"

func TestMain(m *testing.M) {
	if os.Getenv(nxChildEnv) == "1" {
		os.Exit(Main())
	}
	os.Exit(m.Run())
}

// nxBenchKeys are the keys every --json line must have.
var nxBenchKeys = []string{"query", "events", "wall_seconds", "cpu_seconds", "events_per_second",
	"events_per_core_second", "p50_latency_ms", "p99_latency_ms", "peak_rss_bytes",
	"cpu_user_seconds", "cpu_system_seconds"}

// nxCheckMeasure checks the values of one measurement for sanity (no
// wall-clock bounds: only signs and consistency).
func nxCheckMeasure(t *testing.T, what string, m map[string]any, events float64, latency bool) {
	t.Helper()
	for _, k := range nxBenchKeys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: key %q missing in %v", what, k, m)
		}
	}
	num := func(k string) float64 { v, _ := m[k].(float64); return v }
	if got := num("events"); got != events {
		t.Errorf("%s: events = %v, want %v", what, got, events)
	}
	for _, k := range []string{"wall_seconds", "cpu_seconds", "events_per_second", "events_per_core_second", "peak_rss_bytes"} {
		if num(k) <= 0 {
			t.Errorf("%s: %s = %v, want > 0", what, k, m[k])
		}
	}
	if rss := num("peak_rss_bytes"); rss < 1<<20 || rss > 1<<40 {
		t.Errorf("%s: peak_rss_bytes = %v is not a plausible size of a process", what, rss)
	}
	// events/s and events/s/core follow from the other figures.
	if r := num("events") / num("wall_seconds") / num("events_per_second"); r < 0.95 || r > 1.05 {
		t.Errorf("%s: events_per_second %v does not match events / wall_seconds", what, m["events_per_second"])
	}
	if r := num("events") / num("cpu_seconds") / num("events_per_core_second"); r < 0.95 || r > 1.05 {
		t.Errorf("%s: events_per_core_second %v does not match events / cpu_seconds", what, m["events_per_core_second"])
	}
	// The CPU seconds split into user and system time (each rounded to
	// the millisecond).
	if u, sy := num("cpu_user_seconds"), num("cpu_system_seconds"); u <= 0 || sy < 0 || math.Abs(u+sy-num("cpu_seconds")) > 0.0025 {
		t.Errorf("%s: cpu_user_seconds %v + cpu_system_seconds %v is not cpu_seconds %v", what, u, sy, m["cpu_seconds"])
	}
	p50, p99 := num("p50_latency_ms"), num("p99_latency_ms")
	if p50 < 0 || p99 < p50 || (latency && p99 <= 0) {
		t.Errorf("%s: latency p50 %v p99 %v", what, p50, p99)
	}
}

func nxParseJSONLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("--json line is not a JSON object: %q: %v", sc.Text(), err)
		}
		objs = append(objs, m)
	}
	return objs
}

func TestNexmarkBenchJSON(t *testing.T) {
	t.Setenv(nxChildEnv, "1")
	prof, mem := t.TempDir(), t.TempDir()
	code, stdout, stderr := nxRun(t, "nexmark", "bench", "--queries", "q1,q5", "--events", "200000", "--json",
		"--rate", "20000", "--cpuprofile", prof, "--memprofile", mem)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	objs := nxParseJSONLines(t, stdout)
	if len(objs) != 2 {
		t.Fatalf("%d JSON lines, want 2:\n%s", len(objs), stdout)
	}
	for i, q := range []string{"q1", "q5"} {
		if objs[i]["query"] != q {
			t.Errorf("line %d is query %v, want %s", i, objs[i]["query"], q)
		}
		// q5 shuffles by key: its latency markers cross a channel.
		nxCheckMeasure(t, q, objs[i], 200000, q == "q5")
		if _, err := os.Stat(filepath.Join(prof, q+"-engine.pprof")); err != nil {
			t.Errorf("no CPU profile: %v", err)
		}
		if fi, err := os.Stat(filepath.Join(mem, q+"-engine.mem.pprof")); err != nil || fi.Size() == 0 {
			t.Errorf("no allocation profile: %v", err)
		}
	}
}

func TestNexmarkBenchBaselineAndHalfRate(t *testing.T) {
	t.Setenv(nxChildEnv, "1")
	code, stdout, stderr := nxRun(t, "nexmark", "bench", "--queries", "q2,q3", "--events", "100000", "--json",
		"--baseline", "--latency-at-half", "--parallelism", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	objs := nxParseJSONLines(t, stdout)
	if len(objs) != 2 {
		t.Fatalf("%d JSON lines, want 2:\n%s", len(objs), stdout)
	}
	q2, q3 := objs[0], objs[1]
	nxCheckMeasure(t, "q2", q2, 100000, false)
	base, ok := q2["baseline"].(map[string]any)
	if !ok {
		t.Fatalf("q2 has no baseline: %v", q2)
	}
	nxCheckMeasure(t, "q2 baseline", base, 100000, false)
	if rows, _ := base["rows"].(float64); rows <= 0 {
		t.Errorf("q2 baseline: rows = %v", base["rows"])
	}
	if r, _ := q2["engine_to_baseline"].(float64); r <= 0 {
		t.Errorf("q2: engine_to_baseline = %v", q2["engine_to_baseline"])
	}
	if _, ok := q3["baseline"]; ok {
		t.Errorf("q3 has no baseline but reports one: %v", q3["baseline"])
	}
	for _, o := range objs {
		half, ok := o["half_rate"].(map[string]any)
		if !ok {
			t.Fatalf("%v: no half_rate", o["query"])
		}
		if half["events"].(float64) < 1 {
			t.Errorf("%v: half-rate run read no events", o["query"])
		}
		if got, full := half["events_per_second"].(float64), o["events_per_second"].(float64); got > full {
			t.Errorf("%v: paced at half the rate but ran at %v events/s, faster than unpaced %v", o["query"], got, full)
		}
	}

	// --from prints the table of the saved output.
	saved := filepath.Join(t.TempDir(), "bench.jsonl")
	if err := os.WriteFile(saved, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	code, table, stderr := nxRun(t, "nexmark", "bench", "--from", saved)
	if code != 0 {
		t.Fatalf("--from: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"2 queries, 100,000 events each, parallelism 2", "engine/baseline", "\nq2 ", "\n  baseline ", "\n  at half ", "\nq3 "} {
		if !strings.Contains(table, want) {
			t.Errorf("--from table lacks %q:\n%s", want, table)
		}
	}
	if err := os.WriteFile(saved, []byte("not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := nxRun(t, "nexmark", "bench", "--from", saved); code != 1 || !strings.Contains(stderr, "line 1") {
		t.Errorf("--from a bad file: exit %d, %q", code, stderr)
	}
}

func TestNexmarkBenchTable(t *testing.T) {
	t.Setenv(nxChildEnv, "1")
	code, stdout, stderr := nxRun(t, "nexmark", "bench", "--queries", "q0", "--events", "50000", "--baseline")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(stdout, "\n")
	var head, row, base string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "query "):
			head = l
		case strings.HasPrefix(l, "q0 "):
			row = l
		case strings.HasPrefix(l, "  baseline "):
			base = l
		}
	}
	if head == "" || row == "" || base == "" {
		t.Fatalf("table lacks header, q0 or baseline row:\n%s", stdout)
	}
	// Right-aligned columns: every row ends its cells where the header
	// ends its headings.
	for _, col := range []string{"events", "events/s/core", "peak RSS"} {
		end := strings.Index(head, col) + len(col)
		for _, l := range []string{row, base} {
			if end > len(l) || l[end-1] == ' ' || (end < len(l) && l[end] != ' ') {
				t.Errorf("column %q is not aligned:\n%s\n%s", col, head, l)
			}
		}
	}
	if !strings.Contains(row, "50,000") {
		t.Errorf("events not printed with digit groups: %q", row)
	}
}

func TestNexmarkBenchChildFailure(t *testing.T) {
	t.Setenv(nxChildEnv, "1")
	// q13 with a side input that does not exist fails in its child
	// process; the other queries still run, and the command exits 1.
	missing := filepath.Join(t.TempDir(), "missing.csv")
	code, stdout, stderr := nxRun(t, "nexmark", "bench", "--queries", "q13,q2", "--events", "10000", "--json",
		"--side-input", missing)
	if code != 1 || !strings.Contains(stderr, "1 run of 2 failed") {
		t.Fatalf("exit %d, stderr %q; want 1 and a count of the failures", code, stderr)
	}
	objs := nxParseJSONLines(t, stdout)
	if len(objs) != 2 {
		t.Fatalf("%d JSON lines, want 2:\n%s", len(objs), stdout)
	}
	if msg, _ := objs[0]["error"].(string); objs[0]["query"] != "q13" || !strings.Contains(msg, "missing.csv") {
		t.Errorf("q13 line does not carry the child's error: %v", objs[0])
	}
	nxCheckMeasure(t, "q2", objs[1], 10000, false)

	// The table names the failed query and its cause.
	code, stdout, _ = nxRun(t, "nexmark", "bench", "--queries", "q13", "--events", "1000", "--side-input", missing)
	if code != 1 || !strings.Contains(stdout, "q13") || !strings.Contains(stdout, "FAILED") || !strings.Contains(stdout, "missing.csv") {
		t.Errorf("exit %d, table:\n%s", code, stdout)
	}
}

func TestNexmarkBenchUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--queries", "q0,q99"}, `unknown query "q99"`},
		{[]string{"--queries", "q0,q0"}, "appears twice"},
		{[]string{"--events", "0"}, "--events must be at least 1"},
		{[]string{"--parallelism", "0"}, "--parallelism must be between 1 and 256"},
		{[]string{"--latency-interval", "0s"}, "--latency-interval must be positive"},
		{[]string{"--latency-at-half", "--rate-limited"}, "drop --rate-limited"},
		{[]string{"--rate", "0"}, "--rate must be at least 1"},
		{[]string{"--splits", "2000"}, "Splits must be between 1 and 1024"},
		{[]string{"--events", "x"}, "not a valid number"},
		{[]string{"--child-baseline"}, "--child-baseline needs --child"},
		{[]string{"--compare"}, "add --sql"},
		{[]string{"--sql", "--baseline"}, "--sql runs without --baseline"},
		{[]string{"--sql", "--queries", "q3,q99"}, `unknown query "q99"`},
		{[]string{"q0"}, "takes no arguments"},
	}
	for _, c := range cases {
		args := append([]string{"nexmark", "bench"}, c.args...)
		code, stdout, stderr := nxRun(t, args...)
		if code != 2 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "strom nexmark bench --help") {
			t.Errorf("strom %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(args, " "), code, stderr, c.want)
		}
		if stdout != "" {
			t.Errorf("strom %s: stdout %q", strings.Join(args, " "), stdout)
		}
	}
}

func TestFormatHelpers(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 10_000_000: "10,000,000", -12345: "-12,345"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
	for v, want := range map[float64]string{0: "0.00", 5.5: "5.50", 999: "999", 1500: "1.50 K", 12_345_678: "12.3 M", 2.5e9: "2.50 G"} {
		if got := siFormat(v); got != want {
			t.Errorf("siFormat(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestNexmarkBenchCheckpoints(t *testing.T) {
	t.Setenv(nxChildEnv, "1")
	keep := t.TempDir()
	code, stdout, stderr := nxRun(t, "nexmark", "bench", "--queries", "q9", "--events", "200000", "--json",
		"--rate", "20000", "--checkpoint-interval", "5ms", "--checkpoint-dir", keep)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	objs := nxParseJSONLines(t, stdout)
	if len(objs) != 1 {
		t.Fatalf("%d JSON lines, want 1:\n%s", len(objs), stdout)
	}
	o := objs[0]
	nxCheckMeasure(t, "q9", o, 200000, true)
	num := func(k string) float64 { v, _ := o[k].(float64); return v }
	// At least the end-of-input checkpoint completes; q9 keeps its join
	// state to the end, so the last checkpoint has bytes.
	if num("checkpoints") < 1 || num("checkpoint_bytes_last") <= 0 || num("checkpoint_interval_ms") != 5 {
		t.Errorf("checkpoint figures missing: %v", o)
	}
	if _, ok := o["checkpoints_failed"]; ok {
		t.Errorf("failed checkpoints: %v", o)
	}
	if num("checkpoints") > 1 && (num("checkpoint_ms_mean") <= 0 || num("checkpoint_ms_max") < num("checkpoint_ms_mean")) {
		t.Errorf("checkpoint durations: %v", o)
	}
	// The uploader serialised q9's state: some CPU time, less than the run's.
	if runtime.GOOS == "linux" && (num("checkpoint_upload_cpu_seconds") <= 0 || num("checkpoint_upload_cpu_seconds") > num("cpu_seconds")) {
		t.Errorf("checkpoint_upload_cpu_seconds: %v", o)
	}
	if ents, err := os.ReadDir(keep); err != nil || len(ents) != 1 {
		t.Errorf("--checkpoint-dir: want one run directory, got %v %v", ents, err)
	}

	// The table has the checkpoint columns.
	code, table, stderr := nxRun(t, "nexmark", "bench", "--queries", "q0", "--events", "50000", "--checkpoint-interval", "1s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"checkpoints every 1s", "chk ms mean", "chk size"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if code, _, stderr := nxRun(t, "nexmark", "bench", "--checkpoint-dir", keep); code != 2 || !strings.Contains(stderr, "--checkpoint-interval") {
		t.Errorf("--checkpoint-dir alone: exit %d, %q", code, stderr)
	}
}

// TestNexmarkBenchSQL runs the SQL versions side by side with the
// DataStream ones (--sql --compare).
func TestNexmarkBenchSQL(t *testing.T) {
	t.Setenv(nxChildEnv, "1")
	code, stdout, stderr := nxRun(t, "nexmark", "bench", "--sql", "--compare", "--queries", "q2,q5", "--events", "100000", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	objs := nxParseJSONLines(t, stdout)
	if len(objs) != 2 {
		t.Fatalf("%d JSON lines, want 2:\n%s", len(objs), stdout)
	}
	for i, q := range []string{"q2", "q5"} {
		o := objs[i]
		if o["query"] != q || o["mode"] != "sql" || o["events"] != float64(100000) {
			t.Errorf("line %d: %v", i, o)
		}
		ds, ok := o["datastream"].(map[string]any)
		if !ok || ds["events"] != float64(100000) {
			t.Errorf("%s: no DataStream run: %v", q, o)
		}
		if r, ok := o["sql_to_datastream"].(float64); !ok || r <= 0 {
			t.Errorf("%s: sql_to_datastream %v", q, o["sql_to_datastream"])
		}
	}
	code, stdout, stderr = nxRun(t, "nexmark", "bench", "--sql", "--compare", "--queries", "q0", "--events", "50000")
	if code != 0 || !strings.Contains(stdout, "sql/datastream") || !strings.Contains(stdout, "q0 sql") || !strings.Contains(stdout, "  datastream") {
		t.Errorf("exit %d, table:\n%s%s", code, stdout, stderr)
	}
}

// TestNexmarkBenchSQLFileQueries runs the four queries whose SQL needs more
// than the 'nexmark' and 'blackhole' connectors: q6 (its well-formed
// form), q10 (the 'filesystem' sink), q13 (the 'filesystem' side input) and
// q14 (the CountChar function), each also as DataStream, and checks that
// the runs leave nothing in the temporary directory.
func TestNexmarkBenchSQLFileQueries(t *testing.T) {
	t.Setenv(nxChildEnv, "1")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	qs := []string{"q6", "q10", "q13", "q14"}
	code, stdout, stderr := nxRun(t, "nexmark", "bench", "--sql", "--compare", "--queries", strings.Join(qs, ","),
		"--events", "20000", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	objs := nxParseJSONLines(t, stdout)
	if len(objs) != len(qs) {
		t.Fatalf("%d JSON lines, want %d:\n%s", len(objs), len(qs), stdout)
	}
	for i, q := range qs {
		o := objs[i]
		if o["query"] != q || o["mode"] != "sql" || o["error"] != nil || o["datastream_error"] != nil {
			t.Errorf("line %d: %v", i, o)
			continue
		}
		nxCheckMeasure(t, q+" sql", o, 20000, false)
		if ds, ok := o["datastream"].(map[string]any); !ok || ds["events"] != float64(20000) {
			t.Errorf("%s: no DataStream run: %v", q, o)
		}
		if r, ok := o["sql_to_datastream"].(float64); !ok || r <= 0 {
			t.Errorf("%s: sql_to_datastream %v", q, o["sql_to_datastream"])
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Errorf("the runs left %v in the temporary directory", names)
	}
}
