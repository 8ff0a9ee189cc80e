package journal

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stromio/strom/internal/vfs"
)

// Timeout: a transaction open longer than TransactionTimeout is aborted
// by ExpireTransactions (fake clock, no sleeps); the LSO moves past it,
// ReadCommitted never sees it, the old instance is fenced and its Commit
// and CommitTransaction fail loudly with ErrTransactionAborted.
func TestTxnTimeoutAbortsAndFences(t *testing.T) {
	ctx := context.Background()
	c := vfs.NewCrashFS(1)
	clk := newClock()
	o := quietOpts(c, nil)
	o.Now, o.TransactionTimeout = clk.Now, 10*time.Second
	j := mustOpen(t, "j", o)
	defer func() { _ = j.Close() }()
	for _, n := range []string{"t", "u"} {
		if err := j.CreateTopic(n, 1); err != nil {
			t.Fatal(err)
		}
	}
	p, err := j.NewTransactionalProducer(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	id, epoch := p.ID()
	if err := p.Begin(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Append(ctx, "t", 0, rec("x1"), rec("x2")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Append(ctx, "u", 0, rec("y1")); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, j, "t", 0, rec("plain"))
	if lso, _ := j.LastStableOffset("t", 0); lso != 0 {
		t.Fatalf("LSO %d with the transaction open, want 0", lso)
	}
	// Not yet expired.
	clk.Add(9 * time.Second)
	if err := j.ExpireTransactions(ctx); err != nil {
		t.Fatal(err)
	}
	if lso, _ := j.LastStableOffset("t", 0); lso != 0 {
		t.Fatalf("LSO %d before the timeout, want 0", lso)
	}
	clk.Add(time.Second)
	if err := j.ExpireTransactions(ctx); err != nil {
		t.Fatal(err)
	}
	_, end, _ := j.Bounds("t", 0)
	if lso, _ := j.LastStableOffset("t", 0); lso != end {
		t.Fatalf("LSO %d after the timeout, want the end %d", lso, end)
	}
	want(t, values(t, j, "t", 0, ReadCommitted), "plain")
	want(t, values(t, j, "u", 0, ReadCommitted))
	want(t, values(t, j, "t", 0, ReadUncommitted), "x1", "x2", "plain")

	// The old instance is fenced, loudly.
	if _, err := p.Append(ctx, "t", 0, rec("x3")); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("Append after the timeout: %v, want ErrProducerFenced", err)
	}
	if err := p.Commit(ctx); !errors.Is(err, ErrProducerFenced) || !errors.Is(err, ErrTransactionAborted) {
		t.Fatalf("Commit after the timeout: %v, want ErrProducerFenced and ErrTransactionAborted", err)
	}
	if err := j.CommitTransaction(ctx, "p", id, epoch); !errors.Is(err, ErrTransactionAborted) {
		t.Fatalf("CommitTransaction after the timeout: %v, want ErrTransactionAborted", err)
	}
	want(t, values(t, j, "t", 0, ReadCommitted), "plain")

	// A new instance works, and its transactions have their own clock.
	q, err := j.NewTransactionalProducer(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	if _, e := q.ID(); e != epoch+2 {
		t.Fatalf("new instance epoch %d, want %d", e, epoch+2)
	}
	if err := j.CommitTransaction(ctx, "p", id, epoch); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("CommitTransaction of the old epoch after a new instance: %v", err)
	}
	if err := q.Begin(); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Append(ctx, "t", 0, rec("z")); err != nil {
		t.Fatal(err)
	}
	clk.Add(5 * time.Second)
	if err := j.ExpireTransactions(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	want(t, values(t, j, "t", 0, ReadCommitted), "plain", "z")

	// Survives a reopen: the aborted records stay invisible.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = mustOpen(t, "j", o)
	want(t, values(t, j, "t", 0, ReadCommitted), "plain", "z")
	want(t, values(t, j, "u", 0, ReadCommitted))
	if err := j.CommitTransaction(ctx, "p", id, epoch); err == nil {
		t.Fatal("CommitTransaction of the expired transaction after a reopen succeeded")
	}
}

// A per-producer timeout overrides the journal's; < 0 never expires; a
// transaction open at Open is timed from Open.
func TestTxnTimeoutPerProducerAndReopen(t *testing.T) {
	ctx := context.Background()
	c := vfs.NewCrashFS(2)
	clk := newClock()
	o := quietOpts(c, nil)
	o.Now, o.TransactionTimeout = clk.Now, time.Minute
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	short, _ := j.NewTransactionalProducer(ctx, "short")
	never, _ := j.NewTransactionalProducer(ctx, "never")
	dflt, _ := j.NewTransactionalProducer(ctx, "dflt")
	if err := short.SetTransactionTimeout(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := never.SetTransactionTimeout(-1); err != nil {
		t.Fatal(err)
	}
	plain, _ := j.NewProducer("plain")
	if err := plain.SetTransactionTimeout(time.Second); !errors.Is(err, ErrTransactionState) {
		t.Fatalf("SetTransactionTimeout of a plain producer: %v", err)
	}
	for _, p := range []*Producer{short, never, dflt} {
		if err := p.Begin(); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Append(ctx, "t", 0, rec(p.name)); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(2 * time.Second)
	if err := j.ExpireTransactions(ctx); err != nil {
		t.Fatal(err)
	}
	if err := short.Commit(ctx); !errors.Is(err, ErrTransactionAborted) {
		t.Fatalf("short: %v", err)
	}
	// dflt and never stay open across a crash-free reopen (Close of an
	// open transaction leaves it ongoing).
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Add(10 * time.Minute) // the journal was down: the clock restarts at Open
	j = mustOpen(t, "j", o)
	defer j.Close()
	if err := j.ExpireTransactions(ctx); err != nil {
		t.Fatal(err)
	}
	if lso, _ := j.LastStableOffset("t", 0); lso != 1 {
		t.Fatalf("LSO %d after the reopen, want 1 (never's and dflt's open)", lso)
	}
	clk.Add(time.Minute)
	if err := j.ExpireTransactions(ctx); err != nil {
		t.Fatal(err)
	}
	// After a reopen every open transaction has the journal's timeout.
	_, end, _ := j.Bounds("t", 0)
	if lso, _ := j.LastStableOffset("t", 0); lso != end {
		t.Fatalf("LSO %d, want the end %d", lso, end)
	}
	want(t, values(t, j, "t", 0, ReadCommitted))
}

// The background check aborts on its own and stops with Close.
func TestTxnTimeoutBackground(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	o := quietOpts(vfs.NewCrashFS(3), nil)
	o.Now, o.TransactionTimeout, o.TransactionCheck = clk.Now, time.Second, time.Millisecond
	j := mustOpen(t, "j", o)
	defer j.Close()
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	p, _ := j.NewTransactionalProducer(ctx, "p")
	_ = p.Begin()
	if _, err := p.Append(ctx, "t", 0, rec("a")); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if lso, _ := j.LastStableOffset("t", 0); lso > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the background check did not abort the transaction")
		}
		time.Sleep(time.Millisecond)
	}
	if err := p.Commit(ctx); !errors.Is(err, ErrTransactionAborted) {
		t.Fatalf("Commit: %v", err)
	}
}

// Retention prunes the aborted list and the idle producers (not one with a
// transaction open), writes the pruned snapshot, and a reopen agrees; a
// producer whose state went may go on appending.
func TestRetentionPrunesProducerState(t *testing.T) {
	ctx := context.Background()
	c := vfs.NewCrashFS(4)
	o := quietOpts(c, nil)
	o.SegmentBytes = 1 << 10
	o.RetentionBytes = 1
	o.TransactionTimeout = -1
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	big := Record{Value: make([]byte, 400), Timestamp: 1}
	idle, _ := j.NewProducer("idle")
	ab, _ := j.NewTransactionalProducer(ctx, "ab")
	open, _ := j.NewTransactionalProducer(ctx, "open")
	if _, err := idle.Append(ctx, "t", 0, big); err != nil {
		t.Fatal(err)
	}
	_ = ab.Begin()
	if _, err := ab.Append(ctx, "t", 0, big); err != nil {
		t.Fatal(err)
	}
	if err := ab.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	_ = open.Begin()
	if _, err := open.Append(ctx, "t", 0, rec("open")); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		mustAppend(t, j, "t", 0, big)
	}
	p, _ := j.partition("t", 0)
	p.mu.Lock()
	nProds, nAborted := len(p.ps.prods), len(p.ps.aborted)
	p.mu.Unlock()
	if nProds != 3 || nAborted != 1 {
		t.Fatalf("before retention: %d producers, %d aborted", nProds, nAborted)
	}
	if err := j.EnforceRetention(ctx); err != nil {
		t.Fatal(err)
	}
	start, _, _ := j.Bounds("t", 0)
	if start == 0 {
		t.Fatal("retention deleted nothing")
	}
	check := func(j *Journal, when string) {
		t.Helper()
		p, _ := j.partition("t", 0)
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.ps.aborted) != 0 {
			t.Fatalf("%s: aborted list %v, want it pruned (start %d)", when, p.ps.aborted, p.start)
		}
		if len(p.ps.prods) != 1 || p.ps.prods[open.id] == nil {
			t.Fatalf("%s: producers %v, want only the open one", when, slices.Collect(mapsKeys(p.ps.prods)))
		}
	}
	check(j, "after retention")
	b, err := vfs.ReadFile(c, filepath.Join(p.dir, snapshotFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, st, err := decodeSnapshot(b); err != nil || len(st.aborted) != 0 || len(st.prods) != 1 {
		t.Fatalf("snapshot after retention: %v, %d aborted, %d producers", err, len(st.aborted), len(st.prods))
	}
	// The pruned idle producer goes on with its next sequence.
	if _, err := idle.Append(ctx, "t", 0, rec("again")); err != nil {
		t.Fatalf("append of a pruned producer: %v", err)
	}
	if err := open.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	c.Crash()
	j = mustOpen(t, "j", o)
	defer j.Close()
	p, _ = j.partition("t", 0)
	p.mu.Lock()
	if len(p.ps.aborted) != 0 || p.ps.prods[idle.id] == nil {
		t.Errorf("after reopen: aborted %v, idle known %v", p.ps.aborted, p.ps.prods[idle.id] != nil)
	}
	p.mu.Unlock()
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// A power loss at a random step of a workload of transactions, expiries
// and retention: the log start never goes back, ReadCommitted never sees a
// record of an aborted or never-committed transaction, and the producer
// state holds nothing wholly below the log start.
func TestRetentionTxnPowerLoss(t *testing.T) {
	s := seed(t)
	moved := 0
	for it := range iterations(150, 5_000) {
		if err := retentionTxnPowerLoss(s+uint64(it), &moved); err != nil {
			t.Fatalf("seed %d (replay: -run TestRetentionTxnPowerLoss -seed %d): %v", s+uint64(it), s+uint64(it), err)
		}
	}
	t.Logf("%d runs with the log start moved", moved)
}

func retentionTxnPowerLoss(s uint64, moved *int) (err error) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(s, 11))
	c := vfs.NewCrashFS(s)
	c.SetTear([]int{0, 512}[rng.IntN(2)])
	clk := newClock()
	o := quietOpts(c, nil)
	o.Now, o.TransactionTimeout = clk.Now, 10*time.Second
	o.SegmentBytes = 1 << 10
	o.RetentionBytes = 3 << 10
	c.HaltAfter(rng.IntN(600))
	// outcome per transaction: 'c' committed, 'a' aborted (Abort or
	// expiry returned), '?' Commit was called (may have happened), 'o'
	// never asked to commit.
	outcome := map[string]byte{}
	var start int64
	j, err := Open("j", o)
	if err == nil {
		created := j.CreateTopic("t", 1) == nil
		var p *Producer
		txn := ""
		n := 0
	loop:
		for op := 0; created && op < 200; op++ {
			if p == nil {
				if p, err = j.NewTransactionalProducer(ctx, fmt.Sprint("p", rng.IntN(3))); err != nil {
					break
				}
			}
			switch r := rng.IntN(12); {
			case r == 0:
				if j.EnforceRetention(ctx) != nil {
					break loop
				}
				if st, _, err := j.Bounds("t", 0); err == nil {
					start = max(start, st)
				}
			case r == 1:
				clk.Add(11 * time.Second)
				err := j.ExpireTransactions(ctx)
				if txn != "" && outcome[txn] == 'o' {
					if err != nil {
						break loop
					}
					outcome[txn] = 'a'
					txn, p = "", nil
				}
			case r <= 3 && txn != "":
				if rng.IntN(2) == 0 {
					outcome[txn] = '?'
					if p.Commit(ctx) != nil {
						break loop
					}
					outcome[txn] = 'c'
				} else {
					if p.Abort(ctx) != nil {
						break loop
					}
					outcome[txn] = 'a'
				}
				txn = ""
			case r <= 6:
				if _, err := j.Append(ctx, "t", 0, Record{Value: []byte(fmt.Sprintf("plain%d", op)), Timestamp: 1}); err != nil {
					break loop
				}
			default:
				if txn == "" {
					if p.Begin() != nil {
						break loop
					}
					txn = fmt.Sprint("x", n)
					n++
					outcome[txn] = 'o'
				}
				v := make([]byte, 100)
				copy(v, txn+"|")
				if _, err := p.Append(ctx, "t", 0, Record{Value: v, Timestamp: 1}); err != nil {
					break loop
				}
			}
		}
		_ = j.Close()
	}
	c.Crash()
	o.FS = c
	j, err = Open("j", o)
	if err != nil {
		return fmt.Errorf("reopen: %v", err)
	}
	defer j.Close()
	st, _, err := j.Bounds("t", 0)
	if err != nil {
		return nil // the topic was not created
	}
	if st < start {
		return fmt.Errorf("log start went back from %d to %d", start, st)
	}
	if st > 0 {
		*moved++
	}
	ms, err := j.Read(ctx, "t", 0, st, ReadOptions{MaxBytes: 1 << 30, Isolation: ReadCommitted})
	if err != nil {
		return fmt.Errorf("read committed: %v", err)
	}
	for _, m := range ms {
		v := string(m.Value)
		if i := slices.Index(m.Value, '|'); i > 0 {
			if o := outcome[v[:i]]; o != 'c' && o != '?' {
				return fmt.Errorf("offset %d: ReadCommitted sees a record of transaction %s (outcome %c)", m.Offset, v[:i], o)
			}
		}
	}
	p, _ := j.partition("t", 0)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.ps.aborted {
		if a.last < p.start {
			return fmt.Errorf("aborted %+v wholly below the start %d", a, p.start)
		}
	}
	for pid, ps := range p.ps.prods {
		if n := len(ps.batches); ps.txnFirst < 0 && n > 0 && ps.batches[n-1].off < p.start {
			return fmt.Errorf("producer %d idle below the start %d kept: %+v", pid, p.start, ps)
		}
	}
	return nil
}
