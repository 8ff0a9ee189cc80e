package journal

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
)

const l10ChildEnv = "STROM_JOURNAL_L10_CHILD"

// childRecs are the records of a batch of the child producer: their
// values name the epoch and each record's sequence.
func childRecs(epoch uint32, seq int32, n int) []Record {
	var recs []Record
	for i := range n {
		recs = append(recs, Record{Value: fmt.Appendf(nil, "e%d-%d", epoch, seq+int32(i)), Timestamp: 1})
	}
	return recs
}

// L10 with a child process: a producer appends in a child that is killed
// (SIGKILL) at a random moment; the parent then replays the child's last
// acked batches and the one in flight, against the real filesystem. Two
// rounds, so the second instance's epoch fences nothing it should not.
func TestL10ChildKill(t *testing.T) {
	if dir := os.Getenv(l10ChildEnv); dir != "" {
		l10Child(dir)
		return
	}
	if testing.Short() {
		t.Skip("child process")
	}
	rng := rand.New(rand.NewPCG(seed(t), 12))
	dir := t.TempDir()
	ctx := context.Background()
	for round := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestL10ChildKill$")
		cmd.Env = append(os.Environ(), l10ChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var id int64
		var ep uint32
		var acked []sentBatch
		var inflight *sentBatch
		stopAt := 20 + rng.IntN(200)
		killed := false
		for sc.Scan() {
			var seq int32
			var n int
			var off Offsets
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "P "):
				fmt.Sscanf(line, "P %d %d", &id, &ep)
			case strings.HasPrefix(line, "S "):
				fmt.Sscanf(line, "S %d %d", &seq, &n)
				inflight = &sentBatch{seq: seq, recs: childRecs(ep, seq, n)}
			case strings.HasPrefix(line, "A "):
				fmt.Sscanf(line, "A %d %d %d %d", &seq, &n, &off.First, &off.Last)
				acked = append(acked, sentBatch{seq, childRecs(ep, seq, n), off})
				inflight = nil
			}
			if len(acked) >= stopAt && !killed {
				// Kill, then read what the child printed before it died
				// (each line is one write, so whole).
				_ = cmd.Process.Kill()
				killed = true
			}
		}
		if !killed {
			t.Fatalf("round %d: the child stopped by itself", round)
		}
		_ = cmd.Wait()
		if len(acked) == 0 {
			t.Fatalf("round %d: the child acked nothing", round)
		}
		j := mustOpen(t, dir, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		_, end, err := j.Bounds("t", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range acked[max(0, len(acked)-maxSeqBatches+1):] {
			off, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep, b.seq}, b.recs...)
			if err != nil || off != b.off {
				t.Fatalf("round %d: replay of acked sequence %d: %+v, %v; want %+v", round, b.seq, off, err, b.off)
			}
		}
		if _, end2, _ := j.Bounds("t", 0); end2 != end {
			t.Fatalf("round %d: acked replays were written: end %d -> %d", round, end, end2)
		}
		if inflight != nil {
			if _, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep, inflight.seq}, inflight.recs...); err != nil {
				t.Fatalf("round %d: replay of the batch in flight: %v", round, err)
			}
		}
		// Every value of every epoch once, sequences without gaps.
		next := map[string]int{}
		for _, m := range readAll(t, j, "t", 0) {
			var e, s int
			if _, err := fmt.Sscanf(string(m.Value), "e%d-%d", &e, &s); err != nil {
				t.Fatal(err)
			}
			k := fmt.Sprint(e)
			if s != next[k] {
				t.Fatalf("round %d: offset %d holds %s, want sequence %d", round, m.Offset, m.Value, next[k])
			}
			next[k]++
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: epoch %d, %d batches acked before the kill, in flight: %v", round, ep, len(acked), inflight != nil)
	}
}

// l10Child appends batches of 1 to 3 records forever, printing each
// batch before it is sent (S) and when it is acked (A).
func l10Child(dir string) {
	ctx := context.Background()
	j, err := Open(dir, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SegmentBytes: 4 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := j.CreateTopic("t", 1); err != nil && !strings.Contains(err.Error(), "exists") {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p, err := j.NewProducer("child")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	id, ep := p.ID()
	fmt.Printf("P %d %d\n", id, ep)
	seq := int32(0)
	for i := 0; ; i++ {
		n := 1 + i%3
		fmt.Printf("S %d %d\n", seq, n)
		off, err := p.Append(ctx, "t", 0, childRecs(ep, seq, n)...)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("A %d %d %d %d\n", seq, n, off.First, off.Last)
		seq += int32(n)
	}
}
