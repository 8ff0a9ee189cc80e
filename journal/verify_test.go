package journal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// buildSegs writes 60 one-record batches to topic "t" (1 partition) of a
// journal in a temporary directory, with small segments, and closes it. It
// returns the directory and, per segment file, the byte positions of its
// batches.
func buildSegs(t *testing.T) (string, map[string][]int64) {
	t.Helper()
	dir := t.TempDir()
	o := quietOpts(nil, nil)
	o.SegmentBytes = 1 << 10
	j := mustOpen(t, dir, o)
	if err := j.CreateTopic("t", 1); err != nil {
		t.Fatal(err)
	}
	if err := j.CreateTopic("u", 2); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		mustAppend(t, j, "t", 0, Record{Key: []byte("k"), Value: fmt.Appendf(nil, `{"n":%d,"pad":"0123456789012345678901234567890123456789"}`, i)})
		mustAppend(t, j, "u", i%2, Record{Value: []byte("x")})
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	pdir := filepath.Join(dir, "topics", "t", "0")
	names, _ := os.ReadDir(pdir)
	pos := map[string][]int64{}
	for _, n := range names {
		if !strings.HasSuffix(n.Name(), ".log") {
			continue
		}
		name := filepath.Join(pdir, n.Name())
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		base, _, _ := parseSegName(n.Name())
		c := checkSegment(f, st.Size(), base, func(p int64, _ batchInfo) bool { pos[name] = append(pos[name], p); return true })
		_ = f.Close()
		if c.err != nil {
			t.Fatal(c.err)
		}
	}
	if len(pos) < 3 {
		t.Fatalf("%d segments, want at least 3", len(pos))
	}
	return dir, pos
}

func segFiles(pos map[string][]int64) (sealed, active string) {
	var names []string
	for n := range pos {
		names = append(names, n)
	}
	slices.Sort(names)
	return names[0], names[len(names)-1]
}

func flip(t *testing.T, name string, at int64) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	b[at] ^= 0x10
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyClean(t *testing.T) {
	dir, _ := buildSegs(t)
	r, err := Verify(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Corrupt() || len(r.All()) != 0 {
		t.Fatalf("problems in a clean journal: %v", r.All())
	}
	if len(r.Partitions) != 3 {
		t.Fatalf("%d partitions, want 3", len(r.Partitions))
	}
	pc := r.Partitions[0]
	if pc.Topic != "t" || pc.Records != 60 || pc.Batches != 60 || pc.End != 60 || pc.Segments < 3 {
		t.Fatalf("partition t/0: %+v", pc)
	}
	if u := r.Partitions[2]; u.Topic != "u" || u.Partition != 1 || u.Records != 30 || u.End != 30 {
		t.Fatalf("partition u/1: %+v", u)
	}
}

// A bit flip in a sealed segment and in the active one: each is reported
// at its batch's byte, and Verify changes nothing.
func TestVerifyBitFlips(t *testing.T) {
	for _, which := range []string{"sealed", "active"} {
		t.Run(which, func(t *testing.T) {
			dir, pos := buildSegs(t)
			sealed, active := segFiles(pos)
			name := sealed
			if which == "active" {
				name = active
			}
			at := pos[name][1]
			flip(t, name, at+40) // inside the record of the segment's second batch
			before, _ := os.ReadFile(name)
			r, err := Verify(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			all := r.All()
			if !r.Corrupt() || len(all) != 1 {
				t.Fatalf("problems %v", all)
			}
			p := all[0]
			base, _, _ := parseSegName(filepath.Base(name))
			if p.File != name || p.Byte != at || p.Offset != base+1 || p.Sealed != (which == "sealed") || p.Topic != "t" || p.Partition != 0 {
				t.Fatalf("problem %+v, want %s byte %d offset %d", p, name, at, base+1)
			}
			if !strings.Contains(p.String(), "crc") {
				t.Errorf("reason %q does not name the crc", p.String())
			}
			after, _ := os.ReadFile(name)
			if string(before) != string(after) {
				t.Fatal("Verify changed the file")
			}
		})
	}
}

// L4: a bit flip in a sealed segment. Open (which scans the segment when
// its index is gone) quarantines the partition: the records before the
// damage are readable, reads from it and appends fail naming the place and
// the commands; the other partitions work; no file changes. An explicit
// truncate then makes the partition writable again.
func TestL4QuarantineAndTruncate(t *testing.T) {
	dir, pos := buildSegs(t)
	sealed, _ := segFiles(pos)
	at := pos[sealed][2]
	flip(t, sealed, at+40)
	if err := os.Remove(strings.TrimSuffix(sealed, ".log") + ".index"); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(sealed)
	logs := &logBuf{}
	j, err := Open(dir, quietOpts(nil, logs))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	q := j.Quarantines()
	if len(q) != 1 || q[0].Segment != sealed || q[0].Byte != at || q[0].Offset != 2 {
		t.Fatalf("quarantines %+v", q)
	}
	if !strings.Contains(logs.String(), "quarantined") {
		t.Error("no log line")
	}
	if ms, err := j.Read(ctx, "t", 0, 0, ReadOptions{}); err != nil || len(ms) != 2 {
		t.Fatalf("read before the damage: %d records, %v", len(ms), err)
	}
	for _, from := range []int64{2, 3} {
		_, err := j.Read(ctx, "t", 0, from, ReadOptions{})
		if !errors.Is(err, ErrQuarantined) || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "strom journal truncate --dir "+dir+" --topic t --partition 0 --at 2") {
			t.Fatalf("read at %d: %v", from, err)
		}
	}
	if _, err := j.Append(ctx, "t", 0, Record{Value: []byte("{}")}); !errors.Is(err, ErrQuarantined) || !errors.Is(err, ErrReadOnly) {
		t.Fatalf("append: %v", err)
	}
	mustAppend(t, j, "u", 0, Record{Value: []byte("y")})
	if err := j.Close(); !errors.Is(err, ErrQuarantined) {
		t.Fatalf("close: %v", err)
	}
	after, _ := os.ReadFile(sealed)
	if string(before) != string(after) {
		t.Fatal("a quarantine changed the file")
	}

	// Truncate: inside the damaged batch's predecessor refuses, past the
	// damage refuses, at the damage works.
	if _, err := TruncatePartition(dir, nil, "t", 0, 5, false); err == nil || !strings.Contains(err.Error(), "truncate at 2 or lower") {
		t.Fatalf("truncate past the damage: %v", err)
	}
	rep, err := TruncatePartition(dir, nil, "t", 0, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Segment != sealed || rep.Byte != at || rep.Records != 58-int64(len(pos[sealed])-2) || rep.Unreadable == 0 || len(rep.Removed) != len(pos)-1 {
		t.Fatalf("dry run %+v", rep)
	}
	if now, _ := os.ReadFile(sealed); string(now) != string(before) {
		t.Fatal("a dry run changed the file")
	}
	if _, err := TruncatePartition(dir, nil, "t", 0, 2, false); err != nil {
		t.Fatal(err)
	}
	if r, err := Verify(dir, nil); err != nil || r.Corrupt() {
		t.Fatalf("verify after the truncate: %v %v", err, r.All())
	}
	j = mustOpen(t, dir, quietOpts(nil, nil))
	defer j.Close()
	if q := j.Quarantines(); len(q) != 0 {
		t.Fatalf("quarantines after the truncate: %v", q)
	}
	if off := mustAppend(t, j, "t", 0, Record{Value: []byte("{}")}); off.First != 2 {
		t.Fatalf("append after the truncate at offset %d, want 2", off.First)
	}
	if ms := readAll(t, j, "t", 0); len(ms) != 3 {
		t.Fatalf("%d records after the truncate", len(ms))
	}
}

// A read that meets damage in a sealed segment whose index is intact (so
// Open did not scan it) quarantines the partition too.
func TestL4QuarantineOnRead(t *testing.T) {
	dir, pos := buildSegs(t)
	sealed, _ := segFiles(pos)
	flip(t, sealed, pos[sealed][1]+40)
	j := mustOpen(t, dir, quietOpts(nil, nil))
	ctx := context.Background()
	if q := j.Quarantines(); len(q) != 0 {
		t.Fatalf("quarantined before a read: %v", q)
	}
	if _, err := j.Read(ctx, "t", 0, 0, ReadOptions{}); !errors.Is(err, ErrCorrupt) || !errors.Is(err, ErrQuarantined) {
		t.Fatalf("read over the damage: %v", err)
	}
	if q := j.Quarantines(); len(q) != 1 || q[0].Offset != 1 || q[0].Byte != pos[sealed][1] {
		t.Fatalf("quarantines %+v", q)
	}
	if _, err := j.Append(ctx, "t", 0, Record{Value: []byte("{}")}); !errors.Is(err, ErrQuarantined) {
		t.Fatalf("append: %v", err)
	}
	if err := j.Close(); !errors.Is(err, ErrQuarantined) {
		t.Fatalf("close: %v", err)
	}
}

// A missing middle segment (a hole in the offsets) quarantines the
// partition at the end of the segment before it; Verify reports the hole.
func TestL4QuarantineHole(t *testing.T) {
	dir, pos := buildSegs(t)
	var names []string
	for n := range pos {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, ext := range []string{".log", ".index", ".timeindex"} {
		if err := os.Remove(strings.TrimSuffix(names[1], ".log") + ext); err != nil {
			t.Fatal(err)
		}
	}
	next, _, _ := parseSegName(filepath.Base(names[1]))
	r, err := Verify(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if all := r.All(); !r.Corrupt() || len(all) != 1 || all[0].File != names[2] || !strings.Contains(all[0].Reason, fmt.Sprintf("the previous one ends at %d", next)) {
		t.Fatalf("problems %v", all)
	}
	j := mustOpen(t, dir, quietOpts(nil, nil))
	if q := j.Quarantines(); len(q) != 1 || q[0].Offset != next || q[0].Segment != names[0] {
		t.Fatalf("quarantines %+v", q)
	}
	if ms := readAll(t, j, "t", 0); int64(len(ms)) != next {
		t.Fatalf("%d records readable, want %d", len(ms), next)
	}
	if err := j.Close(); !errors.Is(err, ErrQuarantined) {
		t.Fatalf("close: %v", err)
	}
}

// L4 through Fetch (what read_committed readers, the journal source and
// the HTTP fetch use): a fetch that meets a bad batch quarantines the
// partition as Read does. Before, it returned a plain ErrCorrupt and left
// the partition open for appends: in the active segment those would be
// written after the damage, and the next unclean Open's scan, cutting the
// log at the damage (L3), would drop them although they were acked.
func TestL4QuarantineOnFetch(t *testing.T) {
	for _, iso := range []Isolation{ReadUncommitted, ReadCommitted} {
		dir, pos := buildSegs(t)
		sealed, _ := segFiles(pos)
		flip(t, sealed, pos[sealed][1]+40)
		j := mustOpen(t, dir, quietOpts(nil, nil))
		ctx := context.Background()
		if _, _, err := j.Fetch(ctx, "t", 0, 0, ReadOptions{Isolation: iso}); !errors.Is(err, ErrCorrupt) || !errors.Is(err, ErrQuarantined) {
			t.Fatalf("isolation %v: fetch over the damage: %v", iso, err)
		}
		if q := j.Quarantines(); len(q) != 1 || q[0].Offset != 1 || q[0].Byte != pos[sealed][1] {
			t.Fatalf("isolation %v: quarantines %+v", iso, q)
		}
		if _, err := j.Append(ctx, "t", 0, Record{Value: []byte("{}")}); !errors.Is(err, ErrQuarantined) {
			t.Fatalf("isolation %v: append after the fetch met the damage: %v", iso, err)
		}
		if _, _, err := j.Fetch(ctx, "t", 0, 1, ReadOptions{Isolation: iso}); !errors.Is(err, ErrQuarantined) {
			t.Fatalf("isolation %v: fetch from the damaged offset: %v", iso, err)
		}
		if ms, _, err := j.Fetch(ctx, "t", 0, 0, ReadOptions{Isolation: iso, MaxRecords: 1}); err != nil || len(ms) != 1 || ms[0].Offset != 0 {
			t.Fatalf("isolation %v: fetch before the damage: %v %v", iso, ms, err)
		}
		if err := j.Close(); !errors.Is(err, ErrQuarantined) {
			t.Fatalf("isolation %v: close: %v", iso, err)
		}
	}
}
