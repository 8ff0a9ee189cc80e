package chaos

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// procSample is one reading of a child's /proc entries (RELIABILITY common
// harness: memory from /proc/<pid>/status, fds from /proc/<pid>/fd).
type procSample struct {
	at          time.Duration // since the sampler started
	rss, hwm    int64         // VmRSS, VmHWM in bytes
	fds         int           // entries of /proc/<pid>/fd
	okRSS, okFD bool
}

// readProc reads pid's VmRSS, VmHWM and open fd count.
func readProc(pid int) (s procSample) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			line := sc.Bytes()
			for _, f := range []struct {
				name string
				v    *int64
			}{{"VmRSS:", &s.rss}, {"VmHWM:", &s.hwm}} {
				if rest, ok := bytes.CutPrefix(line, []byte(f.name)); ok {
					fs := bytes.Fields(rest) // "12345 kB"
					if len(fs) == 2 && string(fs[1]) == "kB" {
						if n, err := strconv.ParseInt(string(fs[0]), 10, 64); err == nil {
							*f.v = n << 10
						}
					}
				}
			}
		}
		s.okRSS = s.rss > 0 && s.hwm > 0
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		s.fds, s.okFD = len(ents), len(ents) > 0
	}
	return s
}

// procSampler samples a child's /proc entries every interval until stop.
type procSampler struct {
	pid   int
	start time.Time
	stopc chan struct{}
	done  chan struct{}

	mu      sync.Mutex
	samples []procSample
	keepAll bool // keep every sample (else only the peaks)
	peak    procStats
}

// procStats are the peaks of one child: PeakRSS is the largest VmHWM read
// (the kernel's high-water mark of its resident set), PeakFDs the most open
// fds seen; Samples counts the readings that worked.
type procStats struct {
	PeakRSS int64
	PeakFDs int
	Samples int
}

func (p procStats) String() string {
	return fmt.Sprintf("peak RSS %.1f MiB, peak fds %d (%d samples)", float64(p.PeakRSS)/(1<<20), p.PeakFDs, p.Samples)
}

func startProcSampler(pid int, every time.Duration, keepAll bool) *procSampler {
	s := &procSampler{pid: pid, start: time.Now(), stopc: make(chan struct{}), done: make(chan struct{}), keepAll: keepAll}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *procSampler) sample() {
	r := readProc(s.pid)
	r.at = time.Since(s.start)
	if !r.okRSS || !r.okFD {
		return // not started yet or gone
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peak.Samples++
	s.peak.PeakRSS = max(s.peak.PeakRSS, r.hwm)
	s.peak.PeakFDs = max(s.peak.PeakFDs, r.fds)
	if s.keepAll {
		s.samples = append(s.samples, r)
	}
}

// snapshot takes one more sample now (call it right before killing the
// child: VmHWM then covers its whole life) and returns the peaks so far.
func (s *procSampler) snapshot() procStats {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// samplesSoFar returns the peaks and, with keepAll, the samples so far.
func (s *procSampler) samplesSoFar() (procStats, []procSample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, append([]procSample(nil), s.samples...)
}

// stop ends the sampling and returns the peaks and, with keepAll, every
// sample.
func (s *procSampler) stop() (procStats, []procSample) {
	close(s.stopc)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, s.samples
}

// procLimits are the resource bounds of the children of a kill test.
type procLimits struct {
	// RSS is the bound of every child's peak RSS (VmHWM).
	RSS int64
	// FDs is the bound of every child's peak open fds.
	FDs int
	// FDGrowth is how many more fds the later half of the restarted
	// children may have at their peak than the most of the earlier half:
	// a leak that grows with restarts, restored checkpoints or committed
	// parts shows as a rising peak.
	FDGrowth int
}

// checkProc fails t with the problems procProblems finds and logs the
// peaks.
func checkProc(t *testing.T, stats []procStats, lim procLimits) {
	t.Helper()
	probs, summary := procProblems(stats, lim)
	for _, p := range probs {
		t.Error(p)
	}
	t.Log(summary)
}

// procProblems checks the peaks of the children of one kill test (attempt 0
// first, then the restarts, then the final run) against lim.
func procProblems(stats []procStats, lim procLimits) (probs []string, summary string) {
	var peakRSS int64
	var peakFDs int
	for i, s := range stats {
		if s.Samples == 0 {
			probs = append(probs, fmt.Sprintf("child %d: no /proc sample (the resource checks would prove nothing)", i))
			continue
		}
		peakRSS, peakFDs = max(peakRSS, s.PeakRSS), max(peakFDs, s.PeakFDs)
		if s.PeakRSS > lim.RSS {
			probs = append(probs, fmt.Sprintf("child %d: peak RSS %.1f MiB above the budget of %.0f MiB", i, float64(s.PeakRSS)/(1<<20), float64(lim.RSS)/(1<<20)))
		}
		if s.PeakFDs > lim.FDs {
			probs = append(probs, fmt.Sprintf("child %d: %d open fds at the peak, bound %d", i, s.PeakFDs, lim.FDs))
		}
	}
	// Restarted children: 1..len-1 (the final run included).
	if r := stats[min(1, len(stats)):]; len(r) >= 4 {
		early, late := r[:len(r)/2], r[len(r)/2:]
		var e, l int
		for _, s := range early {
			e = max(e, s.PeakFDs)
		}
		for _, s := range late {
			l = max(l, s.PeakFDs)
		}
		if l > e+lim.FDGrowth {
			probs = append(probs, fmt.Sprintf("fd leak across restarts: the later restarts peak at %d open fds, the earlier ones at %d (allowed growth %d)", l, e, lim.FDGrowth))
		}
	}
	summary = fmt.Sprintf("%d children: peak RSS %.1f MiB (budget %.0f MiB), peak fds %d (bound %d)", len(stats),
		float64(peakRSS)/(1<<20), float64(lim.RSS)/(1<<20), peakFDs, lim.FDs)
	return probs, summary
}

// TestReadProc: the /proc reader finds this process's memory and fds, so
// that the resource checks of the kill tests cannot pass on zeros, and
// procProblems rejects each kind of bad peaks.
func TestReadProc(t *testing.T) {
	s := readProc(os.Getpid())
	if !s.okRSS || !s.okFD || s.rss < 1<<20 || s.hwm < s.rss || s.fds < 3 {
		t.Fatalf("readProc(self) = %+v: want VmRSS >= 1 MiB, VmHWM >= VmRSS, >= 3 fds", s)
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if s2 := readProc(os.Getpid()); s2.fds <= s.fds {
		t.Fatalf("an opened file did not show: %d fds before, %d after", s.fds, s2.fds)
	}
	if s := readProc(1 << 30); s.okRSS || s.okFD {
		t.Fatalf("readProc of no process = %+v", s)
	}
	ok := procStats{PeakRSS: 10 << 20, PeakFDs: 10, Samples: 3}
	lim := procLimits{RSS: 20 << 20, FDs: 50, FDGrowth: 4}
	for name, stats := range map[string][]procStats{
		"rss":     {ok, ok, {PeakRSS: 30 << 20, PeakFDs: 10, Samples: 1}, ok, ok},
		"fds":     {ok, {PeakRSS: 1, PeakFDs: 60, Samples: 1}, ok, ok, ok},
		"leak":    {ok, ok, ok, {PeakRSS: 1, PeakFDs: 15, Samples: 1}, {PeakRSS: 1, PeakFDs: 20, Samples: 1}},
		"unknown": {ok, ok, {}, ok, ok},
	} {
		if probs, _ := procProblems(stats, lim); len(probs) != 1 {
			t.Errorf("%s: procProblems(%+v) = %q, want one problem", name, stats, probs)
		}
	}
	if probs, _ := procProblems([]procStats{ok, ok, ok, ok, ok}, lim); len(probs) != 0 {
		t.Errorf("procProblems rejected good peaks: %q", probs)
	}
}
