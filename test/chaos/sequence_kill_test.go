package chaos

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// p2KillParams size the kill -9 half of the sequence test of a tier.
type p2KillParams struct {
	kills              int
	minDelay, maxDelay time.Duration // kill delay range, from the child's start
	tail               time.Duration // input left for the final run
	keys               int           // keys per split
	rate               int64         // records per second and split (wall clock)
	panics             int           // injected panics per child process
}

// TestKillSequence (RELIABILITY P2, the child-process half): the strom
// binary runs the sequence job (`strom chaos-job sequence`: each key's
// numbers 1..n through a keyed check that keeps `last` in keyed state and
// writes an ALERT row unless next == last+1) with checkpoints every 200 ms
// into the transactional file sink. Each child process also gets injected
// panics in the keyed check within its first records, each restarting the
// job in-process from its latest checkpoint; and the harness SIGKILLs the
// child N times at random times and starts it again with the same arguments.
// The committed output has 0 ALERT rows, every key's OK rows are exactly
// 1..n once each (no loss, no duplicate), and every key ends with one
// DONE row at last == n. The children's peak RSS and fds are bounded.
func TestKillSequence(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 tests of the strom binary: not with -short")
	}
	for _, par := range []int{1, 2} {
		t.Run(fmt.Sprintf("p=%d", par), func(t *testing.T) {
			t.Parallel()
			runP2Kill(t, par, p2KillTier)
		})
	}
}

func runP2Kill(t *testing.T, par int, tier p2KillParams) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5e9c))
	delays := uniformDelays(rng, tier.kills, tier.minDelay, tier.maxDelay)
	// The paced generator makes at most rate records per second and split,
	// so input longer than all kill delays together outlasts the kills.
	span := tier.tail
	for _, d := range delays {
		span += d
	}
	perKey := int64(span.Seconds()*float64(tier.rate)) / int64(tier.keys)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.txt")
	args := []string{"chaos-job", "sequence", "--keys", strconv.Itoa(tier.keys), "--per-key", strconv.FormatInt(perKey, 10),
		"--parallelism", strconv.Itoa(par), "--rate", strconv.FormatInt(tier.rate, 10),
		"--panics", strconv.Itoa(tier.panics), "--panic-seed", strconv.FormatInt(seed, 10),
		// The panics come within the records of the child's first 200 ms.
		"--panic-span", strconv.FormatInt(tier.rate*int64(par)/5, 10),
		"--restart-attempts", strconv.Itoa(tier.panics + 1), "--restart-delay", "10ms",
		"--checkpoint-dir", filepath.Join(dir, "cp"), "--checkpoint-interval", "200ms", "--out", out}
	t.Logf("%d keys x %d per split, %d splits, %d records/s per split (%v of input), %d kills, %d panics per child; args %q",
		tier.keys, perKey, par, tier.rate, span, len(delays), tier.panics, args)

	k := &killRun{args: args, out: out, delays: delays, final: span + time.Minute,
		// The children peak at about 30 MiB: 128 MiB is generous.
		limits: &procLimits{RSS: 128 << 20, FDs: p1FDs, FDGrowth: p1FDGrowth}}
	atts := k.run(t)
	panics, finalPanics := 0, 0
	for i, a := range atts {
		n := bytes.Count(a.stderr.Bytes(), []byte("injected panic"))
		panics += n
		if i == len(atts)-1 {
			finalPanics = n
		}
	}
	// The final run sees at least the records of its first 200 ms: each of
	// its panic points fires.
	if tier.panics > 0 && finalPanics == 0 {
		t.Errorf("the final run had no injected panic: the in-process half of the test did nothing")
	}

	// The result file is the committed parts in order.
	parts, err := committedParts(out + ".parts")
	if err != nil {
		t.Fatal(err)
	}
	var concat []byte
	for _, p := range parts {
		b, err := os.ReadFile(filepath.Join(out+".parts", p.name))
		if err != nil {
			t.Fatal(err)
		}
		concat = append(concat, b...)
	}
	final, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(final, concat) {
		t.Errorf("the result file (%d bytes) is not the committed parts in order (%d bytes)", len(final), len(concat))
	}
	rows := splitLines(final)
	for _, e := range checkSeqKillRows(rows, par, tier.keys, perKey) {
		t.Error(e)
	}
	t.Logf("%d committed rows in %d parts; %d injected panics (%d in the final run), %d kills", len(rows), len(parts), panics, finalPanics, len(delays))
}

// checkSeqKillRows checks the committed rows of the sequence job: no ALERT,
// per key the OK rows 1..n exactly once each, and one DONE row with n. It
// returns the problems (at most a few of each kind).
func checkSeqKillRows(rows []string, par, keys int, n int64) []string {
	var probs []string
	report := func(format string, args ...any) {
		if len(probs) < 20 {
			probs = append(probs, fmt.Sprintf(format, args...))
		}
	}
	seen := map[string][]bool{}
	done := map[string]int{}
	alerts := 0
	for _, r := range rows {
		f := strings.Fields(r)
		if len(f) < 3 {
			report("malformed row %q", r)
			continue
		}
		switch f[0] {
		case "ALERT":
			alerts++
			report("sequence alert: %s", r)
		case "DONE":
			done[f[1]]++
			if f[2] != strconv.FormatInt(n, 10) {
				report("key ended below n = %d: %s", n, r)
			}
		case "OK":
			seq, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil || seq < 1 || seq > n {
				report("bad row %q", r)
				continue
			}
			s := seen[f[1]]
			if s == nil {
				s = make([]bool, n+1)
				seen[f[1]] = s
			}
			if s[seq] {
				report("duplicate row %q", r)
			}
			s[seq] = true
		default:
			report("unknown row %q", r)
		}
	}
	if alerts > 0 {
		probs = append(probs, fmt.Sprintf("%d ALERT rows", alerts))
	}
	want := par * keys
	if len(seen) != want {
		report("%d keys in the output, want %d", len(seen), want)
	}
	for s := range par {
		for k := range keys {
			key := fmt.Sprintf("s%d-k%03d", s, k)
			if done[key] != 1 {
				report("key %s: %d DONE rows, want 1", key, done[key])
			}
			lost := 0
			for seq := int64(1); seq <= n; seq++ {
				if sk := seen[key]; sk == nil || !sk[seq] {
					lost++
				}
			}
			if lost > 0 {
				report("key %s: %d of its %d numbers lost", key, lost, n)
			}
		}
	}
	return probs
}

// TestCheckSeqKillRows: the row check finds an alert, a duplicate, a lost
// number and a missing DONE.
func TestCheckSeqKillRows(t *testing.T) {
	good := []string{"OK s0-k000 1", "OK s0-k001 1", "OK s0-k000 2", "DONE s0-k000 2", "OK s0-k001 2", "DONE s0-k001 2"}
	if p := checkSeqKillRows(good, 1, 2, 2); len(p) != 0 {
		t.Fatalf("good rows rejected: %q", p)
	}
	for name, rows := range map[string][]string{
		"alert":     append(append([]string(nil), good...), "ALERT s0-k000: 2 after 0"),
		"duplicate": append(append([]string(nil), good...), "OK s0-k001 2"),
		"lost":      {good[0], good[1], good[3], good[4], good[5]},
		"no done":   good[:5],
		"extra key": append(append([]string(nil), good...), "OK s0-k002 1"),
	} {
		if p := checkSeqKillRows(rows, 1, 2, 2); len(p) == 0 {
			t.Errorf("%s: accepted %q", name, rows)
		}
	}
}
