package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// p1Params size the kill -9 tests of a tier.
type p1Params struct {
	kills              int
	minDelay, maxDelay time.Duration // kill delay range, from the child's start
	tail               time.Duration // event time left for the final run
	rate               int64         // events per second (event time and wall clock)
	// Every child's peak RSS (VmHWM) is bounded by p1RSSBase + p1RSSPerSec
	// MiB per second of input: q3 and q4 keep their join state forever, so
	// their peak grows with the input (measured at parallelism 2: ~155 MiB
	// after ~10 s of input, ~235 MiB after ~28 s; the others 40-80 MiB).
}

const p1RSSBase, p1RSSPerSec = 256, 32

// p1FDs bound the open fds of every strom child of the kill tests (they
// peak at 12-14: the binary's own, the checkpoint and part files of the
// moment) and their growth across restarts.
const p1FDs, p1FDGrowth = 64, 8

// p1Query says how to check a query's output. Append-only queries compare
// with the golden run as a multiset of raw lines. An updating query's
// changelog ("op" +I/-U/+U/-D) interleaves the upstream subtasks in a
// different order on every run (even the fault-free one), so its raw rows do
// not compare; instead each key's changelog must be well-formed in committed
// order (one subtask emits all of a key's rows, and the assembled file keeps
// each subtask's order), and the changelog applied must equal the golden
// one applied.
type p1Query struct {
	name string
	// window is the column that orders a subtask's output: the windows
	// fire in event-time order, so along one subtask's committed parts it
	// never decreases.
	window string
	// key is the column whose rows must have strictly increasing window
	// within one subtask (one row per key and window). Empty: no per-key
	// check; no window: no order check (a join's output has no order).
	key string
	// long: only in the long tier.
	long bool
	// updating: the rows are a changelog keyed by key.
	updating bool
}

var p1Queries = []p1Query{
	// Hopping window COUNT per auction (sliced), then the hottest auctions
	// per window (keyed by window end).
	{name: "q5", window: "window_end", key: "auction"},
	// Window join (coGroup) of persons and auctions on id = seller, 10 s
	// tumbling windows keyed by person id.
	{name: "q8", window: "window_start", key: "id"},
	// Regular (unwindowed) join of auctions and persons that keeps both
	// sides in keyed state forever and emits continuously: checkpoints
	// commit rows during the run, not only at its end.
	{name: "q3"},
	// Regular join auction-bid with the max per auction (retractions), then
	// AVG per category as a changelog keyed by category.
	{name: "q4", key: "id", updating: true},
	// Stateless projection of every bid (long tier only: a million rows):
	// each subtask's output follows its split's event time.
	{name: "q1", window: "dateTime", long: true},
}

// TestKillNexmark (RELIABILITY P1 + P5): the strom binary runs a Nexmark
// query with checkpoints every 200 ms and the transactional file sink; it is
// SIGKILLed N times at uniformly random times and restarted with the same
// arguments. The committed output equals the fault-free run as a multiset
// (0 lost, 0 duplicated), every subtask's windows come in order, a reader
// of the committed parts never sees a part change or vanish, and the
// assembled result holds exactly the committed parts (no staged data).
func TestKillNexmark(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 tests of the strom binary: not with -short")
	}
	for _, q := range p1Queries {
		if q.long && !longTier {
			continue
		}
		for _, par := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/p=%d", q.name, par), func(t *testing.T) {
				t.Parallel()
				runP1(t, q, par, p1Tier)
			})
		}
	}
}

func runP1(t *testing.T, q p1Query, par int, tier p1Params) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	delays := uniformDelays(rng, tier.kills, tier.minDelay, tier.maxDelay)
	// A rate-limited run makes at most as much event-time progress as wall
	// time passes, so input longer than all kill delays together cannot end
	// before the last kill.
	span := tier.tail
	for _, d := range delays {
		span += d
	}
	events := int64(span.Seconds() * float64(tier.rate))
	dir := t.TempDir()
	common := []string{"nexmark", "run", "--query", q.name, "--events", strconv.FormatInt(events, 10),
		"--rate", strconv.FormatInt(tier.rate, 10), "--splits", strconv.Itoa(par), "--parallelism", strconv.Itoa(par)}
	goldenOut := filepath.Join(dir, "golden.jsonl")
	golden := runGolden(t, append(append([]string(nil), common...), "--out", goldenOut), goldenOut)
	if len(golden) == 0 {
		t.Fatalf("the golden run of %s produced no rows: the test would prove nothing", q.name)
	}
	out := filepath.Join(dir, "out.jsonl")
	args := append(append([]string(nil), common...), "--rate-limited", "--checkpoint-dir", filepath.Join(dir, "cp"),
		"--checkpoint-interval", "200ms", "--out", out)
	t.Logf("%d events at %d/s (%v of input), %d kills, golden %d rows; args %q", events, tier.rate, span, len(delays), len(golden), args)

	reader := startCommittedReader(out + ".parts")
	k := &killRun{args: args, out: out, delays: delays, final: span + time.Minute,
		limits: &procLimits{RSS: (p1RSSBase + int64(p1RSSPerSec*span.Seconds())) << 20, FDs: p1FDs, FDGrowth: p1FDGrowth}}
	k.run(t)
	seenRows, readerErrs, seenParts := reader.finish()

	// The assembled file holds exactly the committed parts in assembly
	// order: no staged (uncommitted) content reaches it.
	parts, err := committedParts(out + ".parts")
	if err != nil {
		t.Fatal(err)
	}
	var concat []byte
	perSub := map[int64][]string{}
	for _, p := range parts {
		b, err := os.ReadFile(filepath.Join(out+".parts", p.name))
		if err != nil {
			t.Fatal(err)
		}
		concat = append(concat, b...)
		perSub[p.sub] = append(perSub[p.sub], splitLines(b)...)
	}
	final, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(final, concat) {
		t.Errorf("the result file (%d bytes) is not the committed parts in order (%d bytes)", len(final), len(concat))
	}
	got := splitLines(final)
	staged := stagedFiles(t, out+".parts")
	t.Logf("committed %d rows in %d parts; the reader saw %d parts in %d polls; %d staged files left",
		len(got), len(parts), seenParts, reader.polls, staged)

	// Exactly once: committed == golden as a multiset (of the final
	// results, for a changelog).
	want := golden
	if q.updating {
		if want, err = applyChangelog(golden, q.key); err != nil {
			t.Fatalf("golden changelog: %v", err)
		}
		if got, err = applyChangelog(got, q.key); err != nil {
			t.Fatalf("committed changelog: %v", err)
		}
		t.Logf("changelog applied: %d result rows", len(got))
	}
	if lost, extra := diffMultiset(got, want); len(lost)+len(extra) > 0 {
		t.Errorf("committed output differs from the golden run: %d rows, golden %d; %d lost, %d duplicated or foreign\nlost: %.5q\nextra: %.5q",
			len(got), len(want), len(lost), len(extra), lost, extra)
	}
	// The read_committed reader: parts never change or vanish once
	// committed, and what it saw is what was finally committed.
	for _, e := range readerErrs {
		t.Errorf("committed reader: %s", e)
	}
	if lost, extra := diffMultiset(seenRows, splitLines(final)); len(lost)+len(extra) > 0 {
		t.Errorf("the committed reader saw %d rows, the final parts hold %d: %d missed, %d not in the final output",
			len(seenRows), len(splitLines(final)), len(lost), len(extra))
	}
	// Per-subtask window order and per-key strictly increasing windows.
	for sub, rows := range perSub {
		if q.window == "" {
			break
		}
		if err := checkOrder(rows, q.window, q.key); err != nil {
			t.Errorf("subtask %d: %v", sub, err)
		}
	}
}

// checkOrder checks rows of one subtask in committed order: window never
// decreases, and for one key it strictly increases.
func checkOrder(rows []string, window, key string) error {
	var prev int64
	last := map[string]int64{}
	for i, r := range rows {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(r), &m); err != nil {
			return fmt.Errorf("row %d %q: %v", i, r, err)
		}
		w, err := strconv.ParseInt(string(m[window]), 10, 64)
		if err != nil {
			return fmt.Errorf("row %d %q: %s: %v", i, r, window, err)
		}
		if i > 0 && w < prev {
			return fmt.Errorf("row %d %q: %s %d after %d: windows out of order", i, r, window, w, prev)
		}
		prev = w
		if key == "" {
			continue
		}
		kv := string(m[key])
		if lw, ok := last[kv]; ok && w <= lw {
			return fmt.Errorf("row %d %q: %s %s has %s %d after %d", i, r, key, kv, window, w, lw)
		}
		last[kv] = w
	}
	return nil
}

// stagedFiles counts the staged (uncommitted) files of dir.
func stagedFiles(t *testing.T, dir string) int {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".inprogress") {
			n++
		}
	}
	return n
}

// applyChangelog applies a changelog in order, strictly per key: +I only for
// an absent key, -U and -D only of the key's current row (byte-equal after
// removing "op"), +U only right after the key's -U. It returns the result
// rows (without "op").
func applyChangelog(rows []string, key string) ([]string, error) {
	cur := map[string]string{}     // key -> current row
	retracted := map[string]bool{} // key -> -U seen, +U expected
	for i, r := range rows {
		// The rows are json.Marshal of one struct type with "op" first, so
		// the row without "op" is the same bytes on every run and cheap to
		// cut out (JSON decoding of every row is slow under -race).
		rest, ok := strings.CutPrefix(r, `{"op":"`)
		if !ok || len(rest) < 4 || rest[2:4] != `",` {
			return nil, fmt.Errorf("row %d %q: no op first", i, r)
		}
		op, row := rest[:2], "{"+rest[4:]
		_, kv, ok := strings.Cut(row, `"`+key+`":`)
		if !ok {
			return nil, fmt.Errorf("row %d %q: no %s", i, r, key)
		}
		k := kv[:strings.IndexAny(kv+"}", ",}")]
		old, has := cur[k]
		switch op {
		case "+I":
			if has || retracted[k] {
				return nil, fmt.Errorf("row %d %q: insert of key %s=%s that has row %s", i, r, key, k, old)
			}
			cur[k] = row
		case "-U", "-D":
			if !has || old != row {
				return nil, fmt.Errorf("row %d %q: retraction of key %s=%s whose current row is %q", i, r, key, k, old)
			}
			delete(cur, k)
			if op == "-U" {
				retracted[k] = true
			}
		case "+U":
			if !retracted[k] {
				return nil, fmt.Errorf("row %d %q: +U of key %s=%s without its -U", i, r, key, k)
			}
			delete(retracted, k)
			cur[k] = row
		default:
			return nil, fmt.Errorf("row %d %q: no valid op", i, r)
		}
	}
	for k := range retracted {
		return nil, fmt.Errorf("key %s=%s ends with a -U and no +U", key, k)
	}
	out := make([]string, 0, len(cur))
	for _, r := range cur {
		out = append(out, r)
	}
	sort.Strings(out)
	return out, nil
}

// TestApplyChangelog: the changelog check rejects what a lost or
// duplicated row would leave behind.
func TestApplyChangelog(t *testing.T) {
	ok := []string{`{"op":"+I","id":1,"v":5}`, `{"op":"+I","id":2,"v":7}`, `{"op":"-U","id":1,"v":5}`, `{"op":"+U","id":1,"v":6}`, `{"op":"-D","id":2,"v":7}`}
	got, err := applyChangelog(ok, "id")
	if err != nil || len(got) != 1 || got[0] != `{"id":1,"v":6}` {
		t.Fatalf("got %q, %v", got, err)
	}
	for name, bad := range map[string][]string{
		"insert twice":      {ok[0], ok[0]},
		"pair twice":        {ok[0], ok[2], ok[3], ok[2], ok[3]},
		"retraction lost":   {ok[0], ok[3]},
		"update lost":       {ok[0], ok[2]},
		"wrong retraction":  {ok[0], `{"op":"-U","id":1,"v":4}`},
		"op missing":        {`{"id":1,"v":5}`},
		"delete of nothing": {ok[4]},
	} {
		if _, err := applyChangelog(bad, "id"); err == nil {
			t.Errorf("%s: accepted %q", name, bad)
		}
	}
}
