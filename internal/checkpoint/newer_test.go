package checkpoint

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
)

// Downgrade safety: a build meeting files a newer build wrote (a format
// version or flags it does not know, under a good checksum) refuses them
// loudly (ErrNewerVersion, never ErrCorrupt), never falls back to an older
// checkpoint, never reports "no checkpoint" (so empty state is not allowed
// over them) and never removes them by retention.

// resealMetadata recomputes the CRC of an edited metadata file.
func resealMetadata(b []byte) []byte {
	end := len(b) - metadataTrailer
	binary.BigEndian.PutUint32(b[end:], CRC(b[:end]))
	return b
}

// resealKeyed recomputes the frame CRC of an edited keyed file.
func resealKeyed(b []byte) []byte {
	foot := b[len(b)-keyedFooter:]
	binary.BigEndian.PutUint32(foot[20:], frameCRC(b[:keyedHeader], foot[:20]))
	return b
}

// newerKeyed is a keyed file of [start,end) with format version v and flags.
func newerKeyed(start, end int, v, flags uint16) []byte {
	b := EncodeKeyed(start, end, map[int][]byte{start: []byte("from the future")})
	binary.BigEndian.PutUint16(b[8:], v)
	binary.BigEndian.PutUint16(b[10:], flags)
	return resealKeyed(b)
}

func mustNewer(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	if !errors.Is(err, ErrNewerVersion) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("%s: %v; want ErrNewerVersion only", what, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("%s: %q does not mention %q", what, err, w)
		}
	}
}

func TestDecodeNewerVersions(t *testing.T) {
	data, err := EncodeMetadata(sampleMetadata())
	if err != nil {
		t.Fatal(err)
	}
	edit := func(off int, v uint16, reseal bool) []byte {
		b := bytes.Clone(data)
		binary.BigEndian.PutUint16(b[off:], v)
		if reseal {
			resealMetadata(b)
		}
		return b
	}
	_, err = DecodeMetadata(edit(8, 5, true))
	mustNewer(t, "metadata version 5", err, "version 5", "this build reads versions 1 to 4")
	_, err = DecodeMetadata(edit(8, 0xffff, true))
	mustNewer(t, "metadata version 65535", err, "version 65535")
	_, err = DecodeMetadata(edit(10, 1, true))
	mustNewer(t, "metadata flags", err, "flags 0x1")
	// The same bytes under a CRC that does not match: damage.
	for name, b := range map[string][]byte{"version": edit(8, 4, false), "flags": edit(10, 1, false), "version 0": edit(8, 0, true)} {
		if _, err := DecodeMetadata(b); !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNewerVersion) {
			t.Fatalf("metadata %s: %v; want ErrCorrupt", name, err)
		}
	}

	_, _, _, err = DecodeKeyed(newerKeyed(4, 8, 2, 0))
	mustNewer(t, "keyed version 2", err, "version 2")
	_, _, _, err = DecodeKeyed(newerKeyed(4, 8, 1, 0x80))
	mustNewer(t, "keyed flags", err, "flags 0x80")
	flipped := EncodeKeyed(4, 8, nil)
	flipped[9] = 2 // no new frame CRC: damage
	if _, _, _, err := DecodeKeyed(flipped); !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNewerVersion) {
		t.Fatalf("keyed version flipped: %v; want ErrCorrupt", err)
	}
}

// rewriteNewerKeyed replaces file rel (a keyed file of [start,end) that
// metadata chk-<id> references as name) with a newer build's and commits
// the metadata anew with its size and CRC, as that build would have.
func rewriteNewerKeyed(t *testing.T, st *store, id int64, name string, v uint16) {
	t.Helper()
	meta := "chk-" + itoa(id) + "/_metadata"
	m, err := DecodeMetadata(st.read(t, meta))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Operators {
		for j := range m.Operators[i].Keyed {
			f := &m.Operators[i].Keyed[j]
			for k := range f.Deltas {
				if d := &f.Deltas[k]; d.Name == name && d.Dir == 0 {
					b := newerKeyed(f.Start, f.End, v, 0)
					st.write(t, "chk-"+itoa(id)+"/"+name, b)
					d.Size, d.CRC = int64(len(b)), CRC(b)
				}
			}
			if f.Name == name && f.Dir == 0 {
				b := newerKeyed(f.Start, f.End, v, 0)
				st.write(t, "chk-"+itoa(id)+"/"+name, b)
				f.Size, f.CRC = int64(len(b)), CRC(b)
			}
		}
	}
	data, err := EncodeMetadata(m)
	if err != nil {
		t.Fatal(err)
	}
	st.write(t, meta, data)
}

func itoa(id int64) string { return ChkDirName(id)[len("chk-"):] }

func TestLoadLatestRefusesNewer(t *testing.T) {
	cases := []struct {
		name string
		do   func(t *testing.T, st *store) // makes chk-3 a newer build's
		want string
		// metadata: the metadata shows the newer build (retention reads
		// metadata only; a newer build that writes a newer layout of any
		// file also raises the metadata's version, docs/format §7).
		metadata bool
	}{
		{"metadata version", func(t *testing.T, st *store) {
			rewrite(t, st, "chk-3/_metadata", func(b []byte) []byte { b[9] = 5; return resealMetadata(b) })
		}, "metadata format version 5", true},
		{"metadata flags", func(t *testing.T, st *store) {
			rewrite(t, st, "chk-3/_metadata", func(b []byte) []byte { b[11] = 2; return resealMetadata(b) })
		}, "flags 0x2", true},
		{"keyed file version", func(t *testing.T, st *store) { rewriteNewerKeyed(t, st, 3, "agg-1.kg", 2) }, "keyed file: format version 2", false},
	}
	ctx := context.Background()
	forEachStore(t, func(t *testing.T, st *store) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				for _, id := range []int64{1, 2, 3} {
					if err := st.s.Delete(ctx, id); err != nil {
						t.Fatal(err)
					}
					mustCheckpoint(t, st.s, id)
				}
				c.do(t, st)
				var log logger
				m, err := st.s.LoadLatest(ctx, log.logf)
				mustNewer(t, "LoadLatest", err, "chk-3", c.want, "newer version of strom", "refusing", "move "+st.s.(interface{ String() string }).String()+" away")
				if m != nil || strings.Contains(log.String(), "CORRUPT") {
					t.Fatalf("LoadLatest fell back: %v, log:\n%s", m, log.String())
				}
				if !c.metadata {
					// Retention reads metadata only: chk-1 and chk-2 go,
					// chk-3 and every file it uses stay.
					if err := st.s.Retain(ctx, 1); err != nil {
						t.Fatal(err)
					}
					if _, err := Verify(ctx, st.s, 3); !errors.Is(err, ErrNewerVersion) {
						t.Fatalf("chk-3 after Retain(1): %v", err)
					}
					return
				}
				// Retention removes nothing: chk-3 is listed (the newest),
				// chk-1 would be subsumed.
				before := st.names(t, "")
				mustNewer(t, "Retain(1)", st.s.Retain(ctx, 1), "chk-3", "nothing removed")
				if ids, err := st.s.List(ctx); err != nil || !slices.Equal(ids, []int64{1, 2, 3}) {
					t.Fatalf("after Retain(1): List = %v, %v", ids, err)
				}
				if after := st.names(t, ""); !slices.Equal(after, before) {
					t.Fatalf("Retain(1) changed the root: %q -> %q", before, after)
				}
			})
		}
	})
}

// A newer delta in an incremental chain: the checkpoints using it are
// refused, no fallback to the base's checkpoint.
func TestLoadLatestRefusesNewerDelta(t *testing.T) {
	ctx := context.Background()
	forEachStore(t, func(t *testing.T, st *store) {
		m1 := mustCheckpoint(t, st.s, 1)
		d2 := writeDelta(t, st.s, 2)
		if _, err := commitChained(ctx, st.s, 2, m1, [][]FileRef{d2}); err != nil {
			t.Fatal(err)
		}
		rewriteNewerKeyed(t, st, 2, d2[0].Name, 7)
		var log logger
		m, err := st.s.LoadLatest(ctx, log.logf)
		mustNewer(t, "LoadLatest", err, "chk-2", d2[0].Name, "keyed file: format version 7")
		if m != nil || strings.Contains(log.String(), "CORRUPT") {
			t.Fatalf("LoadLatest fell back to chk-%d; log:\n%s", m.ID, log.String())
		}
	})
}

// Retention meets an older checkpoint of a newer build beyond the retained
// count: it does not subsume it, nor remove anything else.
func TestRetainKeepsNewerCheckpoint(t *testing.T) {
	ctx := context.Background()
	forEachStore(t, func(t *testing.T, st *store) {
		for _, id := range []int64{1, 2, 3} {
			mustCheckpoint(t, st.s, id)
		}
		rewrite(t, st, "chk-1/_metadata", func(b []byte) []byte { b[9] = 9; return resealMetadata(b) })
		st.mkdir(t, "chk-0") // not a checkpoint name: ignored either way
		before := st.names(t, "chk-1")
		mustNewer(t, "Retain(1)", st.s.Retain(ctx, 1), "chk-1", "nothing removed")
		if ids, _ := st.s.List(ctx); !slices.Equal(ids, []int64{1, 2, 3}) {
			t.Fatalf("after Retain(1): List = %v", ids)
		}
		if after := st.names(t, "chk-1"); !slices.Equal(after, before) {
			t.Fatalf("chk-1 changed: %q -> %q", before, after)
		}
		// A savepoint of a newer build: refused the same way.
		sp := storeCases[0].new(t)
		mustCheckpointKind(t, sp.s, 5, Savepoint)
		rewrite(t, sp, "chk-5/_metadata", func(b []byte) []byte { b[9] = 5; return resealMetadata(b) })
		_, err := sp.s.LoadLatest(ctx, nil)
		mustNewer(t, "savepoint", err, "chk-5", "metadata format version 5")
	})
}

func mustCheckpointKind(t *testing.T, s Storage, id int64, k Kind) {
	t.Helper()
	if _, err := writeCheckpoint(context.Background(), s, id, k); err != nil {
		t.Fatal(err)
	}
}
