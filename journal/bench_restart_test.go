package journal

// RELIABILITY.md L6's figure: restart-to-ready p99 <= 1 s for a 256 MiB
// unflushed tail on 2 cores. A child process (this test binary, re-executed
// with tailChildEnv set) appends 256 MiB in Relaxed mode with no periodic
// fsync and a segment larger than that, so the whole tail is one unsynced
// active segment without a clean marker; it reports the end offset and the
// parent SIGKILLs it. The parent then times Open of the directory (the
// recovery a restarted process does before it is ready) and checks that
// every record came back (a SIGKILL keeps the page cache).
//
//	go test ./journal -run '^$' -bench BenchmarkRestartToReady -benchtime 20x
//
// reports p50-ms and p99-ms of Open over the samples.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	tailChildEnv = "STROM_JOURNAL_TAIL_CHILD" // the journal directory
	tailBytes    = 256 << 20
)

func tailOpts() Options {
	o := killOpts(false)
	o.Durability = Relaxed
	o.SyncInterval = 1 << 40 // never on its own: the tail stays unflushed
	o.SegmentBytes = 1 << 30 // no roll (a roll syncs the sealed segment)
	o.TransactionCheck = -1
	return o
}

// tailChild writes tailBytes of 4 KiB records, prints "W end" and waits to
// be killed.
func tailChild(dir string) {
	j, err := Open(dir, tailOpts())
	if err == nil {
		err = j.CreateTopic("t", 1)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	recs := make([]Record, 64)
	for i := range recs {
		recs[i].Value = make([]byte, 4096)
	}
	var end int64
	for written := 0; written < tailBytes; written += 64 * 4096 {
		off, err := j.Append(ctx, "t", 0, recs...)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		end = off.Last + 1
	}
	fmt.Printf("W %d\n", end)
	select {}
}

func BenchmarkRestartToReady(b *testing.B) {
	if dir := os.Getenv(tailChildEnv); dir != "" {
		tailChild(dir)
		return
	}
	var opens []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkRestartToReady$", "-test.benchtime=1x")
		cmd.Env = append(os.Environ(), tailChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "W ") {
			b.Fatalf("child: %q, %v", line, err)
		}
		want, _ := strconv.ParseInt(strings.TrimSpace(line[2:]), 10, 64)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		if st := cmd.ProcessState.Sys().(syscall.WaitStatus); !st.Signaled() {
			b.Fatalf("child not killed: %v", cmd.ProcessState)
		}
		b.StartTimer()
		t0 := time.Now()
		j, err := Open(dir, tailOpts())
		d := time.Since(t0)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if _, end, err := j.Bounds("t", 0); err != nil || end != want {
			b.Fatalf("after the kill: end %d (%v), the child wrote %d", end, err, want)
		}
		_ = j.Close()
		_ = os.RemoveAll(dir)
		opens = append(opens, d)
	}
	slices.Sort(opens)
	q := func(p float64) float64 {
		return float64(opens[min(len(opens)-1, int(p*float64(len(opens))))]) / 1e6
	}
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(tailBytes>>20), "tail-MiB")
}
