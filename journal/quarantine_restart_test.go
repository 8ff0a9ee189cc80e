package journal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A read that meets damage in the active segment quarantines the
// partition; the shutdown then leaves no clean marker, so the next Open
// scans the active segment. It must not take the damage for a torn tail
// and cut the acknowledged batches after it: the quarantine is kept on
// disk and Open quarantines again, cutting nothing, until the operator
// truncates.
func TestReadQuarantineSurvivesRestart(t *testing.T) {
	dir, pos := buildSegs(t)
	_, active := segFiles(pos)
	if len(pos[active]) < 3 {
		t.Fatalf("active segment has %d batches, want at least 3", len(pos[active]))
	}
	base, _, _ := parseSegName(filepath.Base(active))
	flip(t, active, pos[active][1]+40) // the active segment's second batch
	ctx := context.Background()

	st, err := os.Stat(active)
	if err != nil {
		t.Fatal(err)
	}
	size := st.Size()
	j := mustOpen(t, dir, quietOpts(nil, nil))
	// Fetch batch by batch from the active segment's start until the damage.
	off := base
	for {
		ms, _, err := j.Fetch(ctx, "t", 0, off, ReadOptions{})
		if err != nil {
			if !errors.Is(err, ErrQuarantined) {
				t.Fatalf("fetch from %d: %v", off, err)
			}
			break
		}
		if len(ms) == 0 {
			t.Fatalf("fetch from %d: reached the end without meeting the damage", off)
		}
		off = ms[len(ms)-1].Offset + 1
	}
	q := j.Quarantines()
	if len(q) != 1 {
		t.Fatalf("quarantines %+v", q)
	}
	damaged := q[0].Offset
	if err := j.Close(); !errors.Is(err, ErrQuarantined) {
		t.Fatalf("close: %v", err)
	}

	j = mustOpen(t, dir, quietOpts(nil, nil))
	if tr := j.Truncations(); len(tr) != 0 {
		t.Fatalf("the restart cut the log after a read's quarantine: %+v", tr)
	}
	if st, err := os.Stat(active); err != nil || st.Size() != size {
		t.Fatalf("after the restart the active segment has %v bytes (%v), %d before: the log was cut", st.Size(), err, size)
	}
	if q := j.Quarantines(); len(q) != 1 || q[0].Offset != damaged {
		t.Fatalf("after the restart: quarantines %+v, want one at offset %d", q, damaged)
	}
	if _, err := j.Append(ctx, "t", 0, Record{Value: []byte("{}")}); !errors.Is(err, ErrQuarantined) {
		t.Fatalf("append after the restart: %v", err)
	}
	if ms, _, err := j.Fetch(ctx, "t", 0, base, ReadOptions{MaxRecords: 1}); err != nil || len(ms) != 1 {
		t.Fatalf("fetch before the damage after the restart: %v %v", ms, err)
	}
	if err := j.Close(); !errors.Is(err, ErrQuarantined) {
		t.Fatalf("close: %v", err)
	}

	// The operator's truncation at the damage ends the quarantine.
	if _, err := TruncatePartition(dir, nil, "t", 0, damaged, false); err != nil {
		t.Fatal(err)
	}
	j = mustOpen(t, dir, quietOpts(nil, nil))
	defer j.Close()
	if q := j.Quarantines(); len(q) != 0 {
		t.Fatalf("after the truncation: quarantines %+v", q)
	}
	if _, end3, err := j.Bounds("t", 0); err != nil || end3 != damaged {
		t.Fatalf("after the truncation the log ends at %d (%v), want %d", end3, err, damaged)
	}
	if _, err := j.Append(ctx, "t", 0, Record{Value: []byte("{}")}); err != nil {
		t.Fatalf("append after the truncation: %v", err)
	}
}

// A quarantine file that does not decode still stops Open from cutting a
// bad batch of the active segment (it is quarantined instead); a newer
// version of the file refuses the open.
func TestQuarantineFileDamaged(t *testing.T) {
	dir, pos := buildSegs(t)
	_, active := segFiles(pos)
	flip(t, active, pos[active][1]+40)
	st, err := os.Stat(active)
	if err != nil {
		t.Fatal(err)
	}
	qf := filepath.Join(filepath.Dir(active), quarFile)
	if err := os.WriteFile(qf, []byte("not a quarantine file"), 0o644); err != nil {
		t.Fatal(err)
	}
	// As after a crash: no clean-shutdown marker, the active segment is scanned.
	if err := os.Remove(filepath.Join(filepath.Dir(active), cleanFile)); err != nil {
		t.Fatal(err)
	}
	j := mustOpen(t, dir, quietOpts(nil, nil))
	if tr := j.Truncations(); len(tr) != 0 {
		t.Fatalf("cut despite the quarantine file: %+v", tr)
	}
	if q := j.Quarantines(); len(q) != 1 {
		t.Fatalf("quarantines %+v, want the active segment's damage", q)
	}
	_ = j.Close()
	if st2, err := os.Stat(active); err != nil || st2.Size() != st.Size() {
		t.Fatalf("active segment %v bytes (%v), %d before", st2.Size(), err, st.Size())
	}

	b := encodeEnvelope(magicQuar, make([]byte, 28))
	b[11] = envelopeVersion + 1 // version field (big-endian u32 at 8)
	copy(b[len(b)-4:], []byte{0, 0, 0, 0})
	b = append(b[:len(b)-4], 0, 0, 0, 0)
	c := crc(b[:len(b)-4])
	b[len(b)-4], b[len(b)-3], b[len(b)-2], b[len(b)-1] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	if err := os.WriteFile(qf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, quietOpts(nil, nil)); !errors.Is(err, ErrNewerVersion) {
		t.Fatalf("open with a newer quarantine file: %v", err)
	}
}

// Retention that deletes the damaged segment of a read's quarantine ends
// it at the next Open (nothing is left to truncate), and Verify reports a
// quarantine file while it stands.
func TestReadQuarantineBelowLogStart(t *testing.T) {
	dir, pos := buildSegs(t)
	sealed, _ := segFiles(pos)
	flip(t, sealed, pos[sealed][1]+40)
	ctx := context.Background()
	o := quietOpts(nil, nil)
	o.RetentionBytes = 1500
	j := mustOpen(t, dir, o)
	if _, _, err := j.Fetch(ctx, "t", 0, 0, ReadOptions{}); !errors.Is(err, ErrQuarantined) {
		t.Fatalf("fetch over the damage: %v", err)
	}
	_ = j.Close()
	r, err := Verify(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(r.All(), func(p Problem) bool { return strings.Contains(p.Reason, "a read quarantined the partition") }) {
		t.Fatalf("verify does not report the quarantine file: %+v", r.All())
	}
	j = mustOpen(t, dir, o)
	if err := j.EnforceRetention(ctx); err != nil {
		t.Fatal(err)
	}
	start, _, _ := j.Bounds("t", 0)
	if start <= 1 {
		t.Fatalf("retention kept the damaged segment: log start %d", start)
	}
	_ = j.Close()
	j = mustOpen(t, dir, o)
	defer j.Close()
	if q := j.Quarantines(); len(q) != 0 {
		t.Fatalf("quarantined below the log start %d: %+v", start, q)
	}
	if _, err := j.Append(ctx, "t", 0, Record{Value: []byte("{}")}); err != nil {
		t.Fatalf("append: %v", err)
	}
}
