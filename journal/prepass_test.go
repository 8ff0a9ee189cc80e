package journal

import (
	"encoding/binary"
	"errors"
	"syscall"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// TestFailedOpenChangesNoEarlierTopic: docs/format/journal.md §5. Topic
// "a" (opened first) has a torn tail; topic "b" has a topic.meta or a
// log-start that cannot be read, is damaged or of a newer version. Open
// fails before it recovers anything: a's files are as they were. With b
// repaired, the same Open does cut a's tail (so the check above sees a
// change Open would make).
func TestFailedOpenChangesNoEarlierTopic(t *testing.T) {
	setup := func(t *testing.T) (*vfs.CrashFS, Options) {
		c := vfs.NewCrashFS(1)
		o := quietOpts(c, nil)
		j := mustOpen(t, "j", o)
		for _, name := range []string{"a", "b"} {
			if err := j.CreateTopic(name, 1); err != nil {
				t.Fatal(err)
			}
			mustAppend(t, j, name, 0, fixedRecord("x", 0))
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		// a's active segment: bytes of a write that never completed.
		seg := "j/topics/a/0/00000000000000000000.log"
		w, err := c.OpenWrite(seg)
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.Stat(seg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.WriteAt([]byte("torn-batch-bytes"), info.Size); err != nil {
			t.Fatal(err)
		}
		_ = w.Close()
		return c, o
	}
	write := func(t *testing.T, c *vfs.CrashFS, name string, b []byte) {
		t.Helper()
		if err := vfs.WriteFileAtomic(c, name, b); err != nil {
			t.Fatal(err)
		}
	}
	const meta = "j/topics/b/topic.meta"
	read := func(t *testing.T, c *vfs.CrashFS, name string) []byte {
		t.Helper()
		b, err := vfs.ReadFile(c, name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	newer := func(t *testing.T, c *vfs.CrashFS, name string) {
		t.Helper()
		b := read(t, c, name)
		binary.BigEndian.PutUint32(b[8:], envelopeVersion+1)
		binary.BigEndian.PutUint32(b[len(b)-4:], crc(b[:len(b)-4]))
		write(t, c, name, b)
	}
	cases := []struct {
		name   string
		break_ func(t *testing.T, c *vfs.CrashFS)
		fault  *vfs.Fault // armed after the snapshot (reads would meet it)
		want   error
	}{
		{"topic.meta damaged", func(t *testing.T, c *vfs.CrashFS) {
			b := read(t, c, meta)
			b[len(b)-5] ^= 1 // the partition count, under the CRC
			write(t, c, meta, b)
		}, nil, ErrCorrupt},
		{"topic.meta newer", func(t *testing.T, c *vfs.CrashFS) { newer(t, c, meta) }, nil, ErrNewerVersion},
		{"topic.meta unreadable", func(*testing.T, *vfs.CrashFS) {}, &vfs.Fault{Op: vfs.OpRead, N: 1, Path: "b/topic.meta"}, syscall.EIO},
		{"log-start damaged", func(t *testing.T, c *vfs.CrashFS) {
			write(t, c, "j/topics/b/0/"+startFile, []byte("not an envelope"))
		}, nil, ErrCorrupt},
		{"log-start newer", func(t *testing.T, c *vfs.CrashFS) {
			write(t, c, "j/topics/b/0/"+startFile, encodeEnvelope(magicStart, binary.BigEndian.AppendUint64(nil, 0)))
			newer(t, c, "j/topics/b/0/"+startFile)
		}, nil, ErrNewerVersion},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, o := setup(t)
			tc.break_(t, c)
			before := snapshot(t, c, "j")
			if tc.fault != nil {
				c.Inject(*tc.fault)
			}
			if _, err := Open("j", o); !errors.Is(err, tc.want) {
				t.Fatalf("Open: %v, want %v", err, tc.want)
			}
			after := snapshot(t, c, "j")
			for name, b := range before {
				if a, ok := after[name]; !ok {
					t.Errorf("the failed Open removed %s", name)
				} else if string(a) != string(b) {
					t.Errorf("the failed Open changed %s (%d -> %d bytes)", name, len(b), len(a))
				}
			}
			for name := range after {
				if _, ok := before[name]; !ok {
					t.Errorf("the failed Open created %s", name)
				}
			}
		})
	}
	t.Run("repaired", func(t *testing.T) {
		_, o := setup(t)
		j := mustOpen(t, "j", o)
		defer j.Close()
		if tr := j.Truncations(); len(tr) != 1 || tr[0].Topic != "a" {
			t.Fatalf("truncations %+v, want a's torn tail cut", tr)
		}
	})
}
