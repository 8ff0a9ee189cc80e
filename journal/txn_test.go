package journal

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

func rec(v string) Record { return Record{Value: []byte(v), Timestamp: 1} }

// values reads a partition from its start with iso and returns the values.
func values(t testing.TB, j *Journal, topic string, part int, iso Isolation) []string {
	t.Helper()
	var out []string
	_, end, err := j.Bounds(topic, part)
	if err != nil {
		t.Fatal(err)
	}
	for from := int64(0); from < end; {
		ms, next, err := j.Fetch(context.Background(), topic, part, from, ReadOptions{MaxRecords: 2, Isolation: iso})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			out = append(out, string(m.Value))
		}
		if next == from {
			break // the bound (LSO)
		}
		from = next
	}
	// Read and Scan agree with Fetch.
	ms, err := j.Read(context.Background(), topic, part, 0, ReadOptions{Isolation: iso})
	if err != nil {
		t.Fatal(err)
	}
	var scanned []string
	if _, err := j.Scan(context.Background(), topic, part, 0, ReadOptions{Isolation: iso}, func(m *Message) error {
		scanned = append(scanned, string(m.Value))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ms) > len(out) || len(scanned) != len(ms) {
		t.Fatalf("Read %d, Scan %d, Fetch %d records", len(ms), len(scanned), len(out))
	}
	return out
}

func want(t testing.TB, got []string, w ...string) {
	t.Helper()
	if !slices.Equal(got, w) {
		t.Fatalf("got %q, want %q", got, w)
	}
}

func txnJournal(t testing.TB, c vfs.FS) *Journal {
	t.Helper()
	j := mustOpen(t, "j", quietOpts(c, nil))
	for _, tp := range []struct {
		n string
		p int
	}{{"t", 2}, {"u", 1}} {
		if err := j.CreateTopic(tp.n, tp.p); err != nil && !errors.Is(err, ErrTopicExists) {
			t.Fatal(err)
		}
	}
	return j
}

// Visibility: ReadCommitted never sees open or aborted records,
// ReadUncommitted does; the last stable offset stops at the first open
// transaction; markers are never returned.
func TestTxnVisibility(t *testing.T) {
	ctx := context.Background()
	j := txnJournal(t, vfs.NewCrashFS(1))
	defer j.Close()
	p, err := j.NewTransactionalProducer(ctx, "tx")
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, rec("a"))
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	for _, tp := range []TopicPartition{{"t", 0}, {"u", 0}} {
		if _, err := p.Append(ctx, tp.Topic, tp.Partition, rec("x1"), rec("x2")); err != nil {
			t.Fatal(err)
		}
	}
	mustAppend(t, j, "t", 0, rec("b"))
	want(t, values(t, j, "t", 0, ReadCommitted), "a")
	want(t, values(t, j, "t", 0, ReadUncommitted), "a", "x1", "x2", "b")
	want(t, values(t, j, "u", 0, ReadCommitted))
	if lso, _ := j.LastStableOffset("t", 0); lso != 1 {
		t.Fatalf("LSO %d, want 1", lso)
	}
	// A ReadCommitted poll waits at the LSO.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	if _, err := j.Poll(short, "t", 0, 1, ReadOptions{Isolation: ReadCommitted}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("poll at the LSO: %v", err)
	}
	cancel()
	if err := p.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	want(t, values(t, j, "t", 0, ReadCommitted), "a", "x1", "x2", "b")
	want(t, values(t, j, "u", 0, ReadCommitted), "x1", "x2")
	_, end, _ := j.Bounds("t", 0)
	if lso, _ := j.LastStableOffset("t", 0); lso != end || end != 5 {
		t.Fatalf("LSO %d, end %d; want 5 (4 records and a marker)", lso, end)
	}
	// Aborted.
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Append(ctx, "t", 0, rec("y")); err != nil {
		t.Fatal(err)
	}
	if err := p.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, rec("c"))
	want(t, values(t, j, "t", 0, ReadCommitted), "a", "x1", "x2", "b", "c")
	want(t, values(t, j, "t", 0, ReadUncommitted), "a", "x1", "x2", "b", "y", "c")
	// From inside the aborted range, a poll skips it.
	ms, err := j.Poll(ctx, "t", 0, 5, ReadOptions{Isolation: ReadCommitted})
	if err != nil || len(ms) != 1 || string(ms[0].Value) != "c" {
		t.Fatalf("poll over an aborted transaction: %+v, %v", ms, err)
	}
	// State errors.
	if _, err := p.Append(ctx, "t", 0, rec("z")); !errors.Is(err, ErrTransactionState) {
		t.Fatalf("append outside a transaction: %v", err)
	}
	if err := p.Commit(ctx); !errors.Is(err, ErrTransactionState) {
		t.Fatalf("commit outside a transaction: %v", err)
	}
	// Everything survives a reopen (snapshot) and a reopen without it.
	_ = j.Close()
	c := j.fs.(*vfs.CrashFS)
	for _, drop := range []bool{false, true} {
		if drop {
			for _, n := range []string{snapshotFile, cleanFile} {
				_ = c.Remove("j/topics/t/0/" + n)
			}
		}
		j = txnJournal(t, c)
		want(t, values(t, j, "t", 0, ReadCommitted), "a", "x1", "x2", "b", "c")
		want(t, values(t, j, "t", 0, ReadUncommitted), "a", "x1", "x2", "b", "y", "c")
		_ = j.Close()
	}
}

// A transaction whose commit was decided (recorded durably) but whose
// markers were not written is finished by the next Open; CommitTransaction
// after a restart commits an open transaction, idempotently.
func TestTxnRecovery(t *testing.T) {
	ctx := context.Background()
	c := vfs.NewCrashFS(1)
	j := txnJournal(t, c)
	p, err := j.NewTransactionalProducer(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	q, err := j.NewTransactionalProducer(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range []*Producer{p, q} {
		if err := pr.Begin(); err != nil {
			t.Fatal(err)
		}
		for _, tp := range []TopicPartition{{"t", 0}, {"u", 0}} {
			if _, err := pr.Append(ctx, tp.Topic, tp.Partition, rec(pr.name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// "a" decided to commit, then the process died before the markers.
	j.pmu.Lock()
	e := j.reg.entries["a"]
	if err := j.setTxnLocked("a", e.pid, e.epoch, txnState{state: txnPrepareCommit, parts: e.txn.parts}); err != nil {
		t.Fatal(err)
	}
	j.pmu.Unlock()
	_ = j.Close()
	c.Crash()
	j = txnJournal(t, c)
	want(t, values(t, j, "t", 0, ReadCommitted), "a") // "b" is still open
	want(t, values(t, j, "u", 0, ReadCommitted), "a")
	if lso, _ := j.LastStableOffset("u", 0); lso != 1 {
		t.Fatalf("LSO %d, want 1 (b open)", lso)
	}
	id, ep := q.ID()
	for range 2 { // idempotent
		if err := j.CommitTransaction(ctx, "b", id, ep); err != nil {
			t.Fatal(err)
		}
	}
	want(t, values(t, j, "t", 0, ReadCommitted), "a", "b")
	want(t, values(t, j, "u", 0, ReadCommitted), "a", "b")
	_ = j.Close()
	c.Crash()
	j = txnJournal(t, c)
	defer func() { _ = j.Close() }()
	if err := j.CommitTransaction(ctx, "b", id, ep); err != nil {
		t.Fatalf("commit again after a restart: %v", err)
	}
	want(t, values(t, j, "u", 0, ReadCommitted), "a", "b")
	if err := j.CommitTransaction(ctx, "b", id, ep+1); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("commit of another epoch: %v", err)
	}
	// A stale open transaction after a crash: the next instance aborts it.
	r, err := j.NewTransactionalProducer(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Begin(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Append(ctx, "u", 0, rec("stale")); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	c.Crash()
	j = txnJournal(t, c)
	if lso, _ := j.LastStableOffset("u", 0); lso == func() int64 { _, e, _ := j.Bounds("u", 0); return e }() {
		t.Fatalf("the stale transaction is not open after the crash (LSO %d)", lso)
	}
	rid, rep := r.ID()
	if _, err := j.NewTransactionalProducer(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	want(t, values(t, j, "u", 0, ReadCommitted), "a", "b")
	want(t, values(t, j, "u", 0, ReadUncommitted), "a", "b", "stale")
	_, end, _ := j.Bounds("u", 0)
	if lso, _ := j.LastStableOffset("u", 0); lso != end {
		t.Fatalf("LSO %d after the abort, end %d", lso, end)
	}
	if err := j.CommitTransaction(ctx, "c", rid, rep); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("commit of the aborted stale transaction: %v", err)
	}
}

// Re-initialising a transactional producer fences the old instance and
// aborts its open transaction.
func TestTxnFencing(t *testing.T) {
	ctx := context.Background()
	j := txnJournal(t, vfs.NewCrashFS(1))
	defer j.Close()
	p1, err := j.NewTransactionalProducer(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	if err := p1.Begin(); err != nil {
		t.Fatal(err)
	}
	for _, part := range []int{0, 1} {
		if _, err := p1.Append(ctx, "t", part, rec("old")); err != nil {
			t.Fatal(err)
		}
	}
	if lso, _ := j.LastStableOffset("t", 1); lso != 0 {
		t.Fatalf("LSO %d", lso)
	}
	p2, err := j.NewTransactionalProducer(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []int{0, 1} {
		want(t, values(t, j, "t", part, ReadCommitted))
		want(t, values(t, j, "t", part, ReadUncommitted), "old")
		_, end, _ := j.Bounds("t", part)
		if lso, _ := j.LastStableOffset("t", part); lso != end {
			t.Fatalf("partition %d: LSO %d, end %d", part, lso, end)
		}
	}
	if _, err := p1.Append(ctx, "t", 0, rec("late")); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("append of the fenced instance: %v", err)
	}
	if err := p1.Commit(ctx); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("commit of the fenced instance: %v", err)
	}
	id, ep := p1.ID()
	if err := j.CommitTransaction(ctx, "f", id, ep); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("CommitTransaction of the fenced epoch: %v", err)
	}
	if err := p2.Begin(); err != nil {
		t.Fatal(err)
	}
	if _, err := p2.Append(ctx, "t", 0, rec("new")); err != nil {
		t.Fatal(err)
	}
	if err := p2.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	want(t, values(t, j, "t", 0, ReadCommitted), "new")
}

// Power loss at a random step of Commit: after the restart the
// transaction is atomic (visible in both partitions or in neither), a
// Commit that returned nil is visible, and CommitTransaction finishes it.
func TestTxnCommitPowerLoss(t *testing.T) {
	for _, d := range []Durability{Durable, Relaxed} {
		t.Run(d.String(), func(t *testing.T) {
			s := seed(t)
			for it := range iterations(100, 3_000) {
				if err := txnPowerLoss(d, s+uint64(it)); err != nil {
					t.Fatalf("seed %d (replay: -run 'TestTxnCommitPowerLoss/%v' -seed %d): %v", s+uint64(it), d, s+uint64(it), err)
				}
			}
		})
	}
}

func txnPowerLoss(d Durability, s uint64) error {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(s, 11))
	c := vfs.NewCrashFS(s)
	c.SetTear([]int{0, 512}[rng.IntN(2)])
	o := quietOpts(c, nil)
	o.Durability, o.SyncInterval = d, 1<<40
	j, err := Open("j", o)
	if err != nil {
		return err
	}
	for _, n := range []string{"t", "u"} {
		if err := j.CreateTopic(n, 1); err != nil {
			return err
		}
	}
	p, err := j.NewTransactionalProducer(ctx, "x")
	if err != nil {
		return err
	}
	id, ep := p.ID()
	if err := p.Begin(); err != nil {
		return err
	}
	n := 1 + rng.IntN(3)
	for i := range n {
		for _, tp := range []string{"t", "u"} {
			if _, err := p.Append(ctx, tp, 0, rec(fmt.Sprint(i))); err != nil {
				return err
			}
		}
	}
	if err := p.Flush(ctx); err != nil { // the pre-commit
		return err
	}
	c.HaltAfter(rng.IntN(25))
	committed := p.Commit(ctx) == nil
	_ = j.Close()
	c.Crash()
	j, err = Open("j", quietOpts(c, nil))
	if err != nil {
		return fmt.Errorf("reopen: %v", err)
	}
	defer j.Close()
	count := func(topic string) (int, error) {
		ms, err := j.Read(ctx, topic, 0, 0, ReadOptions{Isolation: ReadCommitted})
		return len(ms), err
	}
	a, err1 := count("t")
	b, err2 := count("u")
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if a != b || (a != 0 && a != n) {
		return fmt.Errorf("not atomic: %d and %d of %d records visible", a, b, n)
	}
	if committed && a != n {
		return fmt.Errorf("acked commit lost: %d of %d visible", a, n)
	}
	if err := j.CommitTransaction(ctx, "x", id, ep); err != nil {
		return fmt.Errorf("CommitTransaction after the crash: %v", err)
	}
	for _, topic := range []string{"t", "u"} {
		if k, err := count(topic); err != nil || k != n {
			return fmt.Errorf("%s after CommitTransaction: %d of %d, %v", topic, k, n, err)
		}
		_, end, _ := j.Bounds(topic, 0)
		if lso, _ := j.LastStableOffset(topic, 0); lso != end {
			return fmt.Errorf("%s: LSO %d, end %d", topic, lso, end)
		}
	}
	return nil
}
