package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/state"
	"github.com/stromio/strom/internal/task"
	"github.com/stromio/strom/internal/vfs"
)

// wholeFiles hides Local's StreamWriter and SumWriter: the uploader
// serialises a keyed file into its buffer and writes it with WriteFile.
type wholeFiles struct{ checkpoint.Storage }

// The uploader writes the same bytes whether it streams a keyed file into
// the storage (Local: StreamWriter) or builds it in memory and writes it
// whole: a base larger than the streaming buffer, deltas, a delta with no
// change (no file), one with only timers, and an empty delta after it.
func TestUploadStreamSameBytes(t *testing.T) {
	ctx := context.Background()
	kgs := base.KeyGroupRange{Start: 4, End: 20}
	dirs := [2]string{filepath.Join(t.TempDir(), "stream"), filepath.Join(t.TempDir(), "whole")}
	stores := [2]checkpoint.Storage{checkpoint.NewLocal(vfs.OS{}, dirs[0]), wholeFiles{checkpoint.NewLocal(vfs.OS{}, dirs[1])}}
	if _, ok := stores[0].(checkpoint.StreamWriter); !ok {
		t.Fatal("Local is not a StreamWriter")
	}
	if _, ok := stores[1].(checkpoint.StreamWriter); ok {
		t.Fatal("wholeFiles is a StreamWriter")
	}
	var cs [2]*coordinator
	var hs [2]*state.Heap
	var files [2]bytes.Buffer
	for i := range cs {
		cs[i] = uploadCoordinator(CheckpointOptions{Storage: stores[i]})
		hs[i] = state.NewHeap(kgs)
	}
	value := bytes.Repeat([]byte("v"), 300)
	n := 0
	steps := []struct {
		puts   int
		timers map[int][]byte
		kind   string // "file", "none" (the completed chain as it is)
	}{
		{puts: 5000, kind: "file"}, // base of about 1.6 MB, past the 256 KiB buffer
		{puts: 700, kind: "file"},
		{puts: 0, kind: "none"},
		{puts: 0, timers: map[int][]byte{5: []byte("t5"), 19: []byte("t19")}, kind: "file"},
		{puts: 0, kind: "file"}, // says the timers are gone
		{puts: 30, kind: "file"},
	}
	key := make([]byte, 8)
	for si, st := range steps {
		id := int64(si + 1)
		for range st.puts {
			binary.BigEndian.PutUint64(key, uint64(n))
			for _, h := range hs {
				h.Table("t").Put(kgs.Start+n%kgs.Len(), key, nil, value[:n%len(value)])
			}
			n++
		}
		var kfs [2]*checkpoint.KeyedFile
		var written [2]int64
		for i := range cs {
			op := task.CapturedOperator("op", kgs, state.CaptureIncremental(hs[i]), st.timers, false)
			kf, w, _, err := cs[i].uploadKeyed(ctx, &files[i], nil, task.SubtaskSnapshot{CheckpointID: id, Subtask: 2}, &op)
			if err != nil {
				t.Fatalf("checkpoint %d, storage %d: %v", id, i, err)
			}
			kfs[i], written[i] = kf, w
			cs[i].chainsCompleted(id)
		}
		if written[0] != written[1] || (written[0] > 0) != (st.kind == "file") {
			t.Fatalf("checkpoint %d: written %d and %d bytes, want a file: %v", id, written[0], written[1], st.kind == "file")
		}
		if kfs[0] == nil || kfs[1] == nil || kfs[0].Size != kfs[1].Size || kfs[0].CRC != kfs[1].CRC || len(kfs[0].Deltas) != len(kfs[1].Deltas) {
			t.Fatalf("checkpoint %d: keyed files %+v and %+v", id, kfs[0], kfs[1])
		}
		for i, d := range kfs[0].Deltas {
			if d != kfs[1].Deltas[i] {
				t.Fatalf("checkpoint %d: delta %d %+v and %+v", id, i, d, kfs[1].Deltas[i])
			}
		}
		names, err := vfs.OS{}.ReadDir(filepath.Join(dirs[0], checkpoint.ChkDirName(id)))
		if st.kind == "none" {
			if err == nil && len(names) > 0 {
				t.Fatalf("checkpoint %d: files %q, want none", id, names)
			}
			continue
		}
		if err != nil || len(names) != 1 {
			t.Fatalf("checkpoint %d: files %q, %v; want one", id, names, err)
		}
		var data [2][]byte
		for i := range dirs {
			data[i], err = vfs.ReadFile(vfs.OS{}, filepath.Join(dirs[i], checkpoint.ChkDirName(id), names[0]))
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(data[0], data[1]) || int64(len(data[0])) != written[0] {
			t.Fatalf("checkpoint %d: %s differs: %d and %d bytes (written %d)", id, names[0], len(data[0]), len(data[1]), written[0])
		}
		if _, _, _, err := checkpoint.DecodeKeyed(data[0]); err != nil {
			t.Fatalf("checkpoint %d: %v", id, err)
		}
	}
}

// CheckpointOptions.BufferedStateWrites reaches the local storage a job
// opens at its Dir (direct writes by default).
func TestOpenLocalStorageBuffered(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		st, err := openLocalStorage(t.TempDir(), nil, buffered)
		if err != nil {
			t.Fatal(err)
		}
		if l, ok := st.(*checkpoint.Local); !ok || l.BufferedWrites() != buffered {
			t.Fatalf("BufferedStateWrites %v: storage %T, buffered %v", buffered, st, ok && l.BufferedWrites())
		}
	}
}
