package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
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
}

// p1Query says how to check the order of a query's output. Every query here
// is append-only (no changelog "op"), so the committed rows compare with the
// golden ones as a multiset of raw lines.
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
	k := &killRun{args: args, out: out, delays: delays, final: span + time.Minute}
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

	// Exactly once: committed == golden as a multiset.
	if lost, extra := diffMultiset(got, golden); len(lost)+len(extra) > 0 {
		t.Errorf("committed output differs from the golden run: %d rows, golden %d; %d lost, %d duplicated or foreign\nlost: %.5q\nextra: %.5q",
			len(got), len(golden), len(lost), len(extra), lost, extra)
	}
	// The read_committed reader: parts never change or vanish once
	// committed, and what it saw is what was finally committed.
	for _, e := range readerErrs {
		t.Errorf("committed reader: %s", e)
	}
	if lost, extra := diffMultiset(seenRows, got); len(lost)+len(extra) > 0 {
		t.Errorf("the committed reader saw %d rows, the final parts hold %d: %d missed, %d not in the final output",
			len(seenRows), len(got), len(lost), len(extra))
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
