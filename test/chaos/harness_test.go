package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// killRun is one crash test of the strom binary: args run the job (the same
// arguments every time), and the harness SIGKILLs it Kills times at random
// delays before letting the last run finish.
type killRun struct {
	args   []string
	out    string          // --out FILE of args
	delays []time.Duration // kill delays from each child's start; N = len(delays)
	final  time.Duration   // how long the last run may take
	// limits bound every child's peak RSS and open fds, read from /proc
	// while it runs (RELIABILITY common harness); nil: sampled and logged
	// only.
	limits *procLimits
}

// attempt is one child process.
type attempt struct {
	stderr bytes.Buffer
	killed bool
	after  time.Duration // time from start to kill or exit
	proc   procStats     // its peak RSS and fds
}

// tail is the last n bytes of b.
func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// startChild starts bin args in its own process group.
func startChild(ctx context.Context, args []string, a *attempt) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, stromBin, args...)
	cmd.Stdout = &a.stderr // the summary goes to stderr; stdout is empty with --out
	cmd.Stderr = &a.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd, cmd.Start()
}

// run executes the kill loop and the final run. It returns the attempts;
// it fails t (with the tails of the children's stderr) when a child exits
// before its kill, the final run fails, or the restarts are not N.
func (k *killRun) run(t *testing.T) []*attempt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(len(k.delays)+1)*30*time.Second+k.final)
	defer cancel()
	var atts []*attempt
	report := func() string {
		var b strings.Builder
		for i, a := range atts {
			fmt.Fprintf(&b, "--- attempt %d (killed %v after %v), stderr tail:\n%s\n", i, a.killed, a.after.Round(time.Millisecond), tail(a.stderr.Bytes(), 1500))
		}
		return b.String()
	}
	restarts := 0
	for i := 0; i <= len(k.delays); i++ {
		a := &attempt{}
		atts = append(atts, a)
		if i > 0 {
			restarts++
		}
		cmd, err := startChild(ctx, k.args, a)
		if err != nil {
			t.Fatalf("start strom: %v", err)
		}
		start := time.Now()
		sampler := startProcSampler(cmd.Process.Pid, 20*time.Millisecond, false)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if i < len(k.delays) {
			d := k.delays[i]
			select {
			case err := <-done:
				a.after = time.Since(start)
				sampler.stop()
				t.Fatalf("attempt %d ended by itself after %v (err %v) before its kill at %v: the input is too short for the kills\n%s",
					i, a.after, err, d, report())
			case <-time.After(d):
			}
			// The last reading right before the kill: VmHWM covers the
			// child's whole life.
			a.proc = sampler.snapshot()
			sampler.stop()
			if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
				t.Fatalf("kill: %v", err)
			}
			err := <-done
			a.after, a.killed = time.Since(start), true
			var ee *exec.ExitError
			if !errors.As(err, &ee) || !ee.Sys().(syscall.WaitStatus).Signaled() {
				// It ended in the instant between the timer and the kill.
				t.Fatalf("attempt %d was not ended by SIGKILL (err %v)\n%s", i, err, report())
			}
			t.Logf("kill %d/%d: SIGKILL after %v (%v)", i+1, len(k.delays), d.Round(time.Millisecond), a.proc)
			if _, err := os.Stat(k.out); err == nil {
				t.Fatalf("after kill %d the result file %s exists: only a finished job assembles it\n%s", i+1, k.out, report())
			}
			continue
		}
		fctx, fcancel := context.WithTimeout(ctx, k.final)
		select {
		case err := <-done:
			a.after = time.Since(start)
			a.proc, _ = sampler.stop()
			fcancel()
			if err != nil {
				t.Fatalf("final run failed after %v: %v\n%s", a.after, err, report())
			}
		case <-fctx.Done():
			fcancel()
			sampler.stop()
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			t.Fatalf("final run did not finish within %v\n%s", k.final, report())
		}
		t.Logf("final run finished after %v (%v): %s", a.after.Round(time.Millisecond), a.proc, strings.TrimSpace(tail(a.stderr.Bytes(), 300)))
	}
	if restarts != len(k.delays) {
		t.Fatalf("%d restarts, want %d", restarts, len(k.delays))
	}
	stats := make([]procStats, len(atts))
	for i, a := range atts {
		stats[i] = a.proc
	}
	if k.limits != nil {
		checkProc(t, stats, *k.limits)
	} else {
		_, summary := procProblems(stats, procLimits{RSS: 1 << 62, FDs: 1 << 30, FDGrowth: 1 << 30})
		t.Log(summary)
	}
	return atts
}

// runGolden runs args to completion (no faults) and returns the lines of
// the result file out.
func runGolden(t *testing.T, args []string, out string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a := &attempt{}
	cmd, err := startChild(ctx, args, a)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("golden run: %v\n%s", err, tail(a.stderr.Bytes(), 2000))
	}
	return readLines(t, out)
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return splitLines(b)
}

func splitLines(b []byte) []string {
	s := strings.Split(string(b), "\n")
	if n := len(s); n > 0 && s[n-1] == "" {
		s = s[:n-1]
	}
	return s
}

// part is one committed part file of the transactional file sink:
// part-<subtask>-<checkpoint>-<n>.<ext>.
type part struct {
	name       string
	sub, cp, n int64
}

// parsePart parses a committed part name; staged files (hidden,
// .inprogress) and others do not parse.
func parsePart(name string) (part, bool) {
	if !strings.HasPrefix(name, "part-") {
		return part{}, false
	}
	f := strings.Split(strings.TrimSuffix(name, filepath.Ext(name)), "-")
	if len(f) != 4 {
		return part{}, false
	}
	var v [3]int64
	for i := range v {
		n, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return part{}, false
		}
		v[i] = n
	}
	return part{name: name, sub: v[0], cp: v[1], n: v[2]}, true
}

// committedParts lists the committed parts of dir in checkpoint, subtask,
// n order (the order in which the CLI assembles them).
func committedParts(dir string) ([]part, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ps []part
	for _, e := range ents {
		if p, ok := parsePart(e.Name()); ok && !e.IsDir() {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b part) int {
		if a.cp != b.cp {
			return cmpI(a.cp, b.cp)
		}
		if a.sub != b.sub {
			return cmpI(a.sub, b.sub)
		}
		return cmpI(a.n, b.n)
	})
	return ps, nil
}

func cmpI(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// committedReader is a read_committed reader of the sink's part directory
// (RELIABILITY P5): while the job is killed and restarted it polls the
// directory, reads each committed part when it first appears, and checks
// that a committed part never changes or disappears.
type committedReader struct {
	dir  string
	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	seen  map[string][]byte
	errs  []string
	polls int
}

func startCommittedReader(dir string) *committedReader {
	r := &committedReader{dir: dir, stop: make(chan struct{}), done: make(chan struct{}), seen: map[string][]byte{}}
	go r.loop()
	return r
}

func (r *committedReader) loop() {
	defer close(r.done)
	tick := time.NewTicker(15 * time.Millisecond)
	defer tick.Stop()
	for {
		r.poll(false)
		select {
		case <-r.stop:
			r.poll(true)
			return
		case <-tick.C:
		}
	}
}

// poll reads the parts that appeared since the last poll; a part seen
// before must keep its size (full: its bytes).
func (r *committedReader) poll(full bool) {
	ps, err := committedParts(r.dir)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.polls++
	if err != nil {
		if !os.IsNotExist(err) {
			r.errs = append(r.errs, err.Error())
		}
		return
	}
	have := map[string]bool{}
	for _, p := range ps {
		have[p.name] = true
		path := filepath.Join(r.dir, p.name)
		old, ok := r.seen[p.name]
		if ok && !full {
			if fi, err := os.Lstat(path); err != nil || fi.Size() != int64(len(old)) {
				r.errs = append(r.errs, fmt.Sprintf("committed part %s changed or vanished (%v): first seen with %d bytes", p.name, err, len(old)))
				delete(r.seen, p.name)
			}
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			r.errs = append(r.errs, fmt.Sprintf("committed part %s: %v", p.name, err))
			continue
		}
		if !ok {
			r.seen[p.name] = b
		} else if !bytes.Equal(old, b) {
			r.errs = append(r.errs, fmt.Sprintf("committed part %s changed: %d bytes, first seen with %d", p.name, len(b), len(old)))
			r.seen[p.name] = b
		}
	}
	for name := range r.seen {
		if !have[name] {
			r.errs = append(r.errs, fmt.Sprintf("committed part %s disappeared", name))
		}
	}
}

// finish stops the reader and returns its rows (every committed part it
// saw, in assembly order) and its errors.
func (r *committedReader) finish() ([]string, []string, int) {
	close(r.stop)
	<-r.done
	var ps []part
	for name := range r.seen {
		p, _ := parsePart(name)
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b part) int {
		if a.cp != b.cp {
			return cmpI(a.cp, b.cp)
		}
		if a.sub != b.sub {
			return cmpI(a.sub, b.sub)
		}
		return cmpI(a.n, b.n)
	})
	var rows []string
	for _, p := range ps {
		rows = append(rows, splitLines(r.seen[p.name])...)
	}
	return rows, r.errs, len(ps)
}

// diffMultiset compares got and want as multisets: lost rows are in want
// only, duplicated (or foreign) rows in got only.
func diffMultiset(got, want []string) (lost, extra []string) {
	g, w := slices.Clone(got), slices.Clone(want)
	sort.Strings(g)
	sort.Strings(w)
	i, j := 0, 0
	for i < len(g) || j < len(w) {
		switch {
		case j == len(w) || (i < len(g) && g[i] < w[j]):
			extra = append(extra, g[i])
			i++
		case i == len(g) || w[j] < g[i]:
			lost = append(lost, w[j])
			j++
		default:
			i++
			j++
		}
	}
	return lost, extra
}

// uniformDelays returns n kill delays uniform in [lo, hi).
func uniformDelays(rng *rand.Rand, n int, lo, hi time.Duration) []time.Duration {
	ds := make([]time.Duration, n)
	for i := range ds {
		ds[i] = lo + time.Duration(rng.Int64N(int64(hi-lo)))
	}
	return ds
}
