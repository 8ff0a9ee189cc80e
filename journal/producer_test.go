package journal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// The version 2 layouts: a producer batch, a transaction marker, the
// producer registry and a producer snapshot.
func TestGoldenFilesV2(t *testing.T) {
	recs := []Record{{Key: []byte("k"), Value: []byte("v"), Timestamp: 1_700_000_000_000}, {Value: nil, Timestamp: 1_700_000_000_001}}
	batch := encodeBatchHdr(nil, recs, &producerFields{attrs: attrTransactional, pid: 7, epoch: 3, seq: 11})
	setBatchBase(batch, 40)
	marker := encodeBatchHdr(nil, []Record{controlRecord(markerCommit, 1_700_000_000_002)}, &producerFields{attrs: attrTransactional | attrControl, pid: 7, epoch: 3, seq: -1})
	setBatchBase(marker, 42)
	reg := &registry{next: 9, entries: map[string]*regEntry{
		"a": {pid: 7, epoch: 3, txn: txnState{state: txnPrepareCommit, parts: []TopicPartition{{"t", 0}, {"u", 2}}}},
		"b": {pid: 8},
	}}
	snap := prodTable{prods: map[int64]*prodState{
		7: {epoch: 3, txnFirst: 40, batches: []seqBatch{{0, 10, 29}, {11, 12, 40}}},
		8: {epoch: 0, txnFirst: -1},
	}, aborted: []abortedTxn{{8, 10, 20}}}
	files := map[string][]byte{
		"batch-v2.bin":             batch,
		"marker-v2.bin":            marker,
		"producer-ids-v1.bin":      encodeRegistry(reg),
		"producer-snapshot-v1.bin": snap.encodeSnapshot(43),
	}
	for name, data := range files {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, want) {
			t.Errorf("%s: the encoding changed (a new format version, or -update):\n got %x\nwant %x", name, data, want)
		}
	}
	ms, err := DecodeBatch(files["batch-v2.bin"], 0)
	if err != nil || len(ms) != 2 || !sameRecord(ms[1].Record, recs[1]) || ms[1].Offset != 41 {
		t.Fatalf("v2 batch decodes to %+v, %v", ms, err)
	}
	if typ, err := markerType(files["marker-v2.bin"]); err != nil || typ != markerCommit {
		t.Fatalf("marker: %d, %v", typ, err)
	}
	r, err := decodeRegistry(files["producer-ids-v1.bin"])
	if err != nil || !bytes.Equal(encodeRegistry(r), files["producer-ids-v1.bin"]) {
		t.Fatalf("registry round trip: %v", err)
	}
	next, st, err := decodeSnapshot(files["producer-snapshot-v1.bin"])
	if err != nil || next != 43 || !bytes.Equal(st.encodeSnapshot(next), files["producer-snapshot-v1.bin"]) {
		t.Fatalf("snapshot round trip: %d %v", next, err)
	}
	// Version 1 batches stay readable next to version 2 ones.
	old, _ := os.ReadFile(filepath.Join("testdata", "batch-v1.bin"))
	if _, err := DecodeBatch(old, 0); err != nil {
		t.Fatal(err)
	}
}

type sentBatch struct {
	seq  int32
	recs []Record
	off  Offsets
}

func valRecs(from, n int) []Record {
	var recs []Record
	for i := range n {
		recs = append(recs, Record{Value: fmt.Appendf(nil, "v%d|", from+i), Timestamp: int64(1000 + from + i)})
	}
	return recs
}

// L10 in process: replaying a producer's batches after a reopen (clean,
// or with the producer snapshot lost) acks them with their original
// offsets; a gap is rejected; a stale epoch is fenced.
func TestL10Idempotent(t *testing.T) {
	ctx := context.Background()
	c := vfs.NewCrashFS(1)
	o := quietOpts(c, nil)
	o.SegmentBytes = 1 << 10 // rolls: the snapshot is written there too
	j := mustOpen(t, "j", o)
	if err := j.CreateTopic("t", 2); err != nil {
		t.Fatal(err)
	}
	p, err := j.NewProducer("p")
	if err != nil {
		t.Fatal(err)
	}
	id, ep := p.ID()
	var sent []sentBatch
	seq := int32(0)
	for i := range 40 {
		recs := valRecs(int(seq), 1+i%3)
		off, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep, seq}, recs...)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, sentBatch{seq, recs, off})
		seq += int32(len(recs))
		if i%4 == 0 { // plain appends in between
			mustAppend(t, j, "t", 0, Record{Value: []byte("plain|")})
		}
	}
	// Within one run: an immediate retry is a duplicate.
	last := sent[len(sent)-1]
	if off, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep, last.seq}, last.recs...); err != nil || off != last.off {
		t.Fatalf("retry: %+v, %v; want %+v", off, err, last.off)
	}
	check := func(when string) {
		t.Helper()
		_, end, _ := j.Bounds("t", 0)
		for _, b := range sent[len(sent)-maxSeqBatches:] {
			off, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep, b.seq}, b.recs...)
			if err != nil || off != b.off {
				t.Fatalf("%s: replay of sequence %d: %+v, %v; want %+v", when, b.seq, off, err, b.off)
			}
		}
		if _, end2, _ := j.Bounds("t", 0); end2 != end {
			t.Fatalf("%s: replays were written: end %d -> %d", when, end, end2)
		}
		old := sent[len(sent)-maxSeqBatches-1]
		if _, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep, old.seq}, old.recs...); !errors.Is(err, ErrDuplicateSequence) {
			t.Fatalf("%s: replay of a forgotten batch: %v", when, err)
		}
		if _, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep, seq + 1}, valRecs(0, 1)...); !errors.Is(err, ErrOutOfOrderSequence) {
			t.Fatalf("%s: gap: %v", when, err)
		}
		if _, err := j.AppendSeq(ctx, "t", 1, ProducerSeq{id, ep, 3}, valRecs(0, 1)...); !errors.Is(err, ErrOutOfOrderSequence) {
			t.Fatalf("%s: first batch in a partition not at 0: %v", when, err)
		}
	}
	check("running")
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = mustOpen(t, "j", o)
	check("after a clean reopen")
	_ = j.Close()
	// Without the snapshot and the clean marker, the state comes from the log.
	for _, n := range []string{snapshotFile, cleanFile} {
		if err := c.Remove("j/topics/t/0/" + n); err != nil {
			t.Fatal(err)
		}
	}
	j = mustOpen(t, "j", o)
	defer j.Close()
	check("after a reopen without the snapshot")

	// A new instance bumps the epoch and fences the old one.
	p1, err := j.NewProducer("p")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := j.NewProducer("p")
	if err != nil {
		t.Fatal(err)
	}
	ep++ // p1's
	if id2, ep2 := p2.ID(); id2 != id || ep2 != ep+1 {
		t.Fatalf("re-initialised producer: id %d epoch %d, want %d %d", id2, ep2, id, ep+1)
	}
	if _, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep - 1, seq}, valRecs(0, 1)...); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("stale epoch: %v", err)
	}
	if _, err := p1.Append(ctx, "t", 0, valRecs(0, 1)...); !errors.Is(err, ErrProducerFenced) {
		t.Fatalf("stale producer: %v", err)
	}
	if _, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep + 1, 4}, valRecs(0, 1)...); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("a new epoch must start at sequence 0: %v", err)
	}
	a, err := p2.Append(ctx, "t", 0, valRecs(0, 2)...)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep + 1, 0}, valRecs(0, 2)...); err != nil || b != a {
		t.Fatalf("retry in the new epoch: %+v %v, want %+v", b, err, a)
	}
	if _, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id + 100, 0, 0}, valRecs(0, 1)...); !errors.Is(err, ErrUnknownProducer) {
		t.Fatalf("unknown producer: %v", err)
	}
	q, err := j.NewProducer("q")
	if err != nil {
		t.Fatal(err)
	}
	if qid, qep := q.ID(); qid == id || qep != 0 {
		t.Fatalf("second producer: id %d epoch %d", qid, qep)
	}
}

// L10 under power loss: a producer appends until the CrashFS halts at a
// random step; after the crash, every acked batch is there once, the last
// ones replay to their original offsets, and the batch in flight at the
// crash lands at most once.
func TestL10PowerLoss(t *testing.T) {
	s := seed(t)
	for it := range iterations(150, 5_000) {
		if err := idemPowerLoss(s + uint64(it)); err != nil {
			t.Fatalf("seed %d (replay: -run TestL10PowerLoss -seed %d): %v", s+uint64(it), s+uint64(it), err)
		}
	}
}

func idemPowerLoss(s uint64) error {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(s, 10))
	c := vfs.NewCrashFS(s)
	c.SetTear([]int{0, 512}[rng.IntN(2)])
	o := quietOpts(c, nil)
	o.SegmentBytes = 1 << 10
	c.HaltAfter(rng.IntN(200))
	var sent []sentBatch
	var inflight *sentBatch
	seq := int32(0)
	var id int64
	var ep uint32
	if j, err := Open("j", o); err == nil {
		err := j.CreateTopic("t", 1)
		var p *Producer
		if err == nil {
			p, err = j.NewProducer("p")
		}
		if err == nil {
			id, ep = p.ID()
			for i := 0; i < 100; i++ {
				recs := valRecs(int(seq), 1+rng.IntN(3))
				off, err := p.Append(ctx, "t", 0, recs...)
				if err != nil {
					inflight = &sentBatch{seq: seq, recs: recs}
					break
				}
				sent = append(sent, sentBatch{seq, recs, off})
				seq += int32(len(recs))
			}
		}
		_ = j.Close()
	}
	c.Crash()
	j, err := Open("j", quietOpts(c, nil))
	if err != nil {
		return fmt.Errorf("reopen: %v", err)
	}
	defer j.Close()
	if len(sent) == 0 && inflight == nil {
		return nil
	}
	_, end, err := j.Bounds("t", 0)
	if err != nil {
		return err
	}
	for i, b := range sent {
		// The batch in flight may have landed and pushed one more out.
		if i < len(sent)-maxSeqBatches+1 {
			continue
		}
		off, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep, b.seq}, b.recs...)
		if err != nil || off != b.off {
			return fmt.Errorf("replay of acked sequence %d: %+v, %v; want %+v", b.seq, off, err, b.off)
		}
	}
	if _, end2, _ := j.Bounds("t", 0); end2 != end {
		return fmt.Errorf("replays of acked batches were written: end %d -> %d", end, end2)
	}
	if inflight != nil {
		off, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep, inflight.seq}, inflight.recs...)
		if err != nil {
			return fmt.Errorf("replay of the batch in flight: %v", err)
		}
		// Again: now it is a duplicate for sure.
		if off2, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep, inflight.seq}, inflight.recs...); err != nil || off2 != off {
			return fmt.Errorf("second replay of the batch in flight: %+v %v, want %+v", off2, err, off)
		}
		seq += int32(len(inflight.recs))
	}
	// Every value once, in order.
	ms, err := j.Read(ctx, "t", 0, 0, ReadOptions{MaxBytes: 1 << 30})
	if err != nil {
		return err
	}
	if len(ms) != int(seq) {
		return fmt.Errorf("%d records, want %d", len(ms), seq)
	}
	for i, m := range ms {
		if want := fmt.Sprintf("v%d|", i); string(m.Value) != want {
			return fmt.Errorf("offset %d holds %q, want %q", m.Offset, m.Value, want)
		}
	}
	return nil
}

// Concurrent producers, each sending every batch twice at once (a retry
// racing the original, often in the same group commit): both answers carry
// the same offsets and every record is stored once.
func TestIdempotentConcurrentRetries(t *testing.T) {
	ctx := context.Background()
	j := mustOpen(t, "j", quietOpts(vfs.NewCrashFS(1), nil))
	defer j.Close()
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	const producers, batches = 4, 30
	errs := make(chan error, producers)
	for w := range producers {
		p, err := j.NewProducer(fmt.Sprint("p", w))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			id, ep := p.ID()
			seq := int32(0)
			for b := range batches {
				recs := []Record{{Value: fmt.Appendf(nil, "%d-%d", w, b), Timestamp: 1}}
				res := make(chan Offsets, 2)
				fail := make(chan error, 2)
				for range 2 {
					go func() {
						off, err := j.AppendSeq(ctx, "t", 0, ProducerSeq{id, ep, seq}, recs...)
						if err != nil {
							fail <- err
							return
						}
						res <- off
					}()
				}
				var got []Offsets
				for range 2 {
					select {
					case off := <-res:
						got = append(got, off)
					case err := <-fail:
						errs <- err
						return
					}
				}
				if got[0] != got[1] {
					errs <- fmt.Errorf("producer %d batch %d: offsets %+v and %+v", w, b, got[0], got[1])
					return
				}
				seq++
			}
			errs <- nil
		}()
	}
	for range producers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, m := range readAll(t, j, "t", 0) {
		if seen[string(m.Value)] {
			t.Fatalf("%s stored twice", m.Value)
		}
		seen[string(m.Value)] = true
	}
	if len(seen) != producers*batches {
		t.Fatalf("%d records, want %d", len(seen), producers*batches)
	}
}
