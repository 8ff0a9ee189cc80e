package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// TestNewerVersionRefused: files a newer strom wrote (a batch or an
// envelope whose version this build does not know, under a good checksum)
// make Open fail with ErrNewerVersion and leave every byte as it was: an
// older binary neither truncates the active segment as a torn write, nor
// quarantines a sealed one, nor rewrites an index. The same bytes with a
// bad checksum are still damage (the torn tail is truncated), so the test
// tells the two apart.
func TestNewerVersionRefused(t *testing.T) {
	// setup writes topic t (1 partition) with enough records for a few
	// segments and closes the journal cleanly.
	setup := func(t *testing.T) (string, Options, string) {
		dir := t.TempDir()
		o := quietOpts(vfs.OS{}, nil)
		o.SegmentBytes = 1024
		o.IndexInterval = 128
		j := mustOpen(t, dir, o)
		if err := j.CreateTopic("t", 1); err != nil {
			t.Fatal(err)
		}
		for i := range 60 {
			mustAppend(t, j, "t", 0, Record{Value: bytes.Repeat([]byte{byte('a' + i%26)}, 40), Timestamp: int64(1000 + i)})
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		return dir, o, filepath.Join(dir, "topics", "t", "0")
	}
	logs := func(t *testing.T, pdir string) []string {
		m, err := filepath.Glob(filepath.Join(pdir, "*.log"))
		if err != nil || len(m) < 3 {
			t.Fatalf("segments %v %v: want at least 3", m, err)
		}
		return m
	}
	// snapshot reads every file under dir.
	snapshot := func(t *testing.T, dir string) map[string]string {
		out := map[string]string{}
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			out[p] = string(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// relabel makes the last batch of a log file (or the first one) a
	// version 3 batch: magic 3, repeated in byte 9 (the first byte under
	// the CRC), and the CRC made good again unless bad is set. With
	// flipOnly only the magic byte changes (a flipped bit: the CRC, which
	// does not cover it, stays good, but byte 9 does not repeat it).
	relabel := func(t *testing.T, path string, last, bad bool, flipOnly ...bool) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		pos := 0
		for {
			n := int(binary.BigEndian.Uint32(b[pos:])) + 4
			if !last || pos+n == len(b) {
				break
			}
			pos += n
		}
		b[pos+4] = 3
		if len(flipOnly) == 0 {
			b[pos+crcFrom] = 3
			binary.BigEndian.PutUint32(b[pos+5:], crc(b[pos+crcFrom:pos+int(binary.BigEndian.Uint32(b[pos:]))+4]))
		}
		if bad {
			b[pos+5] ^= 0xff
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	openFails := func(t *testing.T, dir string, o Options) {
		t.Helper()
		before := snapshot(t, dir)
		j, err := Open(dir, o)
		if err == nil {
			j.Close()
			t.Fatal("Open of a journal with a newer layout succeeded")
		}
		if !errors.Is(err, ErrNewerVersion) || errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open: %v, want ErrNewerVersion and not ErrCorrupt", err)
		}
		t.Logf("refused: %v", err)
		after := snapshot(t, dir)
		if len(after) != len(before) {
			t.Fatalf("%d files before Open, %d after", len(before), len(after))
		}
		for p, b := range before {
			if after[p] != b {
				t.Fatalf("Open changed %s", p)
			}
		}
	}

	t.Run("active segment, no clean marker", func(t *testing.T) {
		dir, o, pdir := setup(t)
		m := logs(t, pdir)
		relabel(t, m[len(m)-1], true, false)
		if err := os.Remove(filepath.Join(pdir, cleanFile)); err != nil {
			t.Fatal(err)
		}
		openFails(t, dir, o)
	})
	t.Run("active segment, torn (bad CRC) is still truncated", func(t *testing.T) {
		dir, o, pdir := setup(t)
		m := logs(t, pdir)
		relabel(t, m[len(m)-1], true, true)
		if err := os.Remove(filepath.Join(pdir, cleanFile)); err != nil {
			t.Fatal(err)
		}
		j := mustOpen(t, dir, o)
		defer j.Close()
		if tr := j.Truncations(); len(tr) != 1 {
			t.Fatalf("truncations %v, want the torn tail", tr)
		}
	})
	t.Run("active segment, a flipped magic bit is still truncated", func(t *testing.T) {
		dir, o, pdir := setup(t)
		m := logs(t, pdir)
		relabel(t, m[len(m)-1], true, false, true)
		if err := os.Remove(filepath.Join(pdir, cleanFile)); err != nil {
			t.Fatal(err)
		}
		j := mustOpen(t, dir, o)
		defer j.Close()
		if tr := j.Truncations(); len(tr) != 1 {
			t.Fatalf("truncations %v, want the damaged tail", tr)
		}
	})
	t.Run("active segment after a clean shutdown, past the last index entry", func(t *testing.T) {
		dir, o, pdir := setup(t)
		m := logs(t, pdir)
		relabel(t, m[len(m)-1], true, false) // the clean marker stays: its size still matches
		openFails(t, dir, o)
	})
	t.Run("active segment, a 9-byte batch of magic 3 is damage", func(t *testing.T) {
		dir, o, pdir := setup(t)
		m := logs(t, pdir)
		f, err := os.OpenFile(m[len(m)-1], os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		junk := append([]byte{0, 0, 0, 5, 3}, bytes.Repeat([]byte{0xab}, 32)...)
		if _, err := f.Write(junk); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Remove(filepath.Join(pdir, cleanFile)); err != nil {
			t.Fatal(err)
		}
		j := mustOpen(t, dir, o) // panicked: index out of range
		defer j.Close()
		if tr := j.Truncations(); len(tr) != 1 {
			t.Fatalf("truncations %v, want the junk tail", tr)
		}
	})
	t.Run("sealed segment", func(t *testing.T) {
		dir, o, pdir := setup(t)
		m := logs(t, pdir)
		relabel(t, m[0], false, false) // its first batch is indexed: the index check fails, the scan meets it
		openFails(t, dir, o)
	})
	t.Run("sealed segment, damaged is still quarantined", func(t *testing.T) {
		dir, o, pdir := setup(t)
		m := logs(t, pdir)
		relabel(t, m[0], false, true)
		j := mustOpen(t, dir, o)
		defer j.Close()
		if q := j.Quarantines(); len(q) != 1 {
			t.Fatalf("quarantined %v, want the damaged segment", q)
		}
	})
	// Envelopes: the version field set to 2 and the CRC made good again.
	envelope := func(t *testing.T, path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		binary.BigEndian.PutUint32(b[8:], envelopeVersion+1)
		binary.BigEndian.PutUint32(b[len(b)-4:], crc(b[:len(b)-4]))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("topic metadata", func(t *testing.T) {
		dir, o, _ := setup(t)
		envelope(t, filepath.Join(dir, "topics", "t", "topic.meta"))
		openFails(t, dir, o)
	})
	t.Run("sealed segment index", func(t *testing.T) {
		dir, o, pdir := setup(t)
		m := logs(t, pdir)
		envelope(t, m[0][:len(m[0])-len(".log")]+".index")
		openFails(t, dir, o)
	})
	t.Run("active segment index after a clean shutdown", func(t *testing.T) {
		dir, o, pdir := setup(t)
		m := logs(t, pdir)
		envelope(t, m[len(m)-1][:len(m[len(m)-1])-len(".log")]+".timeindex")
		openFails(t, dir, o)
	})
}

// TestNewerVersionFileKinds: docs/format/journal.md §5.2 for each
// metadata file kind not covered above, a version this build does not know
// under a good checksum: log-start and the producer registry (transaction
// state) refuse Open and stay as they are; a consumer group's offsets are
// read only by GroupOffsets and CommitOffsets, which fail (not as damage)
// and leave the file; producer.snapshot is ignored and the state rebuilt
// from the log; clean is ignored (the active segment is scanned). The
// sync-failed marker: TestSyncFailMarkerNewer.
func TestNewerVersionFileKinds(t *testing.T) {
	ctx := t.Context()
	setup := func(t *testing.T) (*vfs.CrashFS, Options, int64) {
		c := vfs.NewCrashFS(1)
		o := quietOpts(c, nil)
		j := mustOpen(t, "j", o)
		if err := j.CreateTopic("t", 1); err != nil {
			t.Fatal(err)
		}
		p, err := j.NewProducer("idem")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Append(ctx, "t", 0, fixedRecord("a", 0)); err != nil {
			t.Fatal(err)
		}
		pid, _ := p.ID()
		if err := j.CommitOffsets("g", map[TopicPartition]int64{{Topic: "t", Partition: 0}: 1}); err != nil {
			t.Fatal(err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		// A log start of 0, as retention would have written it.
		if err := vfs.WriteFileAtomic(c, "j/topics/t/0/"+startFile, encodeEnvelope(magicStart, binary.BigEndian.AppendUint64(nil, 0))); err != nil {
			t.Fatal(err)
		}
		return c, o, pid
	}
	// newer makes name an envelope of the next version with a good CRC
	// and returns its bytes.
	newer := func(t *testing.T, c *vfs.CrashFS, name string) []byte {
		t.Helper()
		b, err := vfs.ReadFile(c, name)
		if err != nil {
			t.Fatal(err)
		}
		binary.BigEndian.PutUint32(b[8:], envelopeVersion+1)
		binary.BigEndian.PutUint32(b[len(b)-4:], crc(b[:len(b)-4]))
		if err := vfs.WriteFileAtomic(c, name, b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	same := func(t *testing.T, c *vfs.CrashFS, name string, want []byte) {
		t.Helper()
		if b, err := vfs.ReadFile(c, name); err != nil || !bytes.Equal(b, want) {
			t.Fatalf("%s changed (%v)", name, err)
		}
	}
	isNewer := func(t *testing.T, what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrNewerVersion) || errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: %v, want ErrNewerVersion and not ErrCorrupt", what, err)
		}
	}
	for _, name := range []string{"j/topics/t/0/" + startFile, "j/" + producersFile} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			c, o, _ := setup(t)
			b := newer(t, c, name)
			j, err := Open("j", o)
			if err == nil {
				j.Close()
			}
			isNewer(t, "Open", err)
			same(t, c, name, b)
		})
	}
	t.Run("group offsets", func(t *testing.T) {
		c, o, _ := setup(t)
		name := "j/groups/g.offsets"
		b := newer(t, c, name)
		j := mustOpen(t, "j", o)
		defer j.Close()
		_, err := j.GroupOffsets("g")
		isNewer(t, "GroupOffsets", err)
		isNewer(t, "CommitOffsets", j.CommitOffsets("g", map[TopicPartition]int64{{Topic: "t", Partition: 0}: 2}))
		same(t, c, name, b)
	})
	t.Run("producer snapshot", func(t *testing.T) {
		c, o, pid := setup(t)
		logs := &logBuf{}
		o.Logger = quietOpts(c, logs).Logger
		newer(t, c, "j/topics/t/0/"+snapshotFile)
		j := mustOpen(t, "j", o)
		defer j.Close()
		if !strings.Contains(logs.String(), "ignoring the producer snapshot") {
			t.Errorf("no warning about the ignored snapshot: %s", logs)
		}
		p := j.topics["t"].parts[0]
		p.mu.Lock()
		s := p.ps.prods[pid]
		p.mu.Unlock()
		if s == nil || len(s.batches) != 1 || s.batches[0].first != 0 || s.batches[0].off != 0 {
			t.Fatalf("producer %d state %+v, want its batch rebuilt from the log", pid, s)
		}
	})
	t.Run("clean", func(t *testing.T) {
		c, o, _ := setup(t)
		logs := &logBuf{}
		o.Logger = quietOpts(c, logs).Logger
		newer(t, c, "j/topics/t/0/"+cleanFile)
		j := mustOpen(t, "j", o)
		defer j.Close()
		if !strings.Contains(logs.String(), "clean-shutdown marker does not match the log, scanning") {
			t.Errorf("the newer clean marker was not ignored: %s", logs)
		}
		if _, end, _ := j.Bounds("t", 0); end != 1 {
			t.Errorf("end %d, want 1", end)
		}
	})
}
