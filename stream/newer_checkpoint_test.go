package stream_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stromio/strom/internal/checkpoint"
	"github.com/stromio/strom/internal/task"
	"github.com/stromio/strom/internal/vfs"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamtest"
)

// Downgrade safety at the job level: checkpoints (and savepoints) that a
// newer strom wrote make a job refuse to start, with a message saying what
// and where, instead of falling back to an older checkpoint or starting
// from empty state.

// newerDir runs checkpointJob into a fresh directory, so that it holds
// complete checkpoints, and returns it with its storage and newest id.
func newerDir(t *testing.T) (string, checkpoint.Storage, int64, *streamtest.TxSink[string]) {
	t.Helper()
	dir := t.TempDir()
	var never atomic.Bool
	sink := streamtest.NewTxSink[string]()
	if err := checkpointJob(t, dir, 2, sink, 0, &never); err != nil {
		t.Fatal(err)
	}
	st := checkpoint.NewLocal(vfs.OS{}, dir)
	ids, err := st.List(context.Background())
	if err != nil || len(ids) < 2 {
		t.Fatalf("List = %v, %v; want at least 2 checkpoints", ids, err)
	}
	return dir, st, ids[len(ids)-1], sink
}

// rewriteMetadata replaces chk-<id>/_metadata with m encoded, then edited.
func rewriteMetadata(t *testing.T, dir string, m *checkpoint.Metadata, edit func([]byte)) {
	t.Helper()
	data, err := checkpoint.EncodeMetadata(m)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(data)
		end := len(data) - 4 // the CRC trailer, resealed
		c := checkpoint.CRC(data[:end])
		data[end], data[end+1], data[end+2], data[end+3] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	}
	if err := os.WriteFile(filepath.Join(dir, checkpoint.ChkDirName(m.ID), checkpoint.MetadataFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runOver runs the operators of checkpointJob over dir again (allowing
// empty state) into sink (that of the checkpoints' job, whose
// transactions a restore commits again) and returns its error, the rows it
// committed and its log.
func runOver(t *testing.T, dir string, from string, sink *streamtest.TxSink[string], restart ...*stream.RestartStrategy) (error, []string, string) {
	var mu sync.Mutex
	var log strings.Builder
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		log.WriteString(strings.TrimSpace(fmt.Sprintf(format, args...)) + "\n")
	}
	if sink == nil {
		sink = streamtest.NewTxSink[string]()
	}
	had := len(sink.Rows())
	env := stream.NewEnvironment(stream.Options{Parallelism: 2,
		Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 20 * time.Millisecond, Logf: logf, AllowEmptyState: true, FromSavepoint: from}})
	if len(restart) > 0 {
		env = stream.NewEnvironment(stream.Options{Parallelism: 2, Restart: restart[0],
			Checkpoints: &stream.CheckpointOptions{Dir: dir, Interval: 20 * time.Millisecond, Logf: logf, AllowEmptyState: true, FromSavepoint: from}})
	}
	const keys, perKey = 20, 400 // as checkpointJob
	src := stream.FromGenerator(env, keys*perKey, func(split int, i int64) seqEvent {
		return seqEvent{Key: fmt.Sprintf("s%d-k%02d", split, i%keys), Seq: i/keys + 1, TS: 1_000_000 + i*5}
	}, stream.WatermarkStrategy[seqEvent]{Enabled: true, Timestamp: func(e seqEvent) int64 { return e.TS }})
	seqCheckAndSums(stream.Map(src, func(e seqEvent) seqEvent { return e }), sink) // the operators of checkpointJob
	err := env.Execute(context.Background())
	mu.Lock()
	defer mu.Unlock()
	return err, sink.Rows()[had:], log.String()
}

func mustRefuse(t *testing.T, err error, rows []string, log string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("the job started over a newer build's checkpoint; committed %d rows; log:\n%s", len(rows), log)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not mention %q", err, w)
		}
	}
	if len(rows) > 0 || strings.Contains(log, "CORRUPT") || strings.Contains(log, "EMPTY") {
		t.Fatalf("fell back or started empty: %d rows committed; log:\n%s", len(rows), log)
	}
}

// TestNewerCheckpointRefused: the newest checkpoint's metadata of a newer
// format version: the job refuses to start, also with AllowEmptyState,
// and retention had no chance to remove anything.
func TestNewerCheckpointRefused(t *testing.T) {
	dir, st, id, sink := newerDir(t)
	m, err := st.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	rewriteMetadata(t, dir, m, func(b []byte) { b[9] = 5 })
	before, _ := os.ReadDir(dir)
	err, rows, log := runOver(t, dir, "", sink)
	mustRefuse(t, err, rows, log, checkpoint.ChkDirName(id), "metadata format version 5", "newer version of strom", "move "+dir+" away")
	t.Logf("refused: %v", err)
	if after, _ := os.ReadDir(dir); len(after) != len(before) {
		t.Fatalf("the directory changed: %d entries, then %d", len(before), len(after))
	}
}

// TestNewerSavepointRefused: a savepoint whose metadata a newer build
// wrote is refused with its path.
func TestNewerSavepointRefused(t *testing.T) {
	dir, st, id, sink := newerDir(t)
	m, err := st.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	rewriteMetadata(t, dir, m, func(b []byte) { b[11] = 1 }) // flags
	err, rows, log := runOver(t, t.TempDir(), dir, sink)
	mustRefuse(t, err, rows, log, "savepoint "+dir, "flags 0x1", "newer version of strom",
		"restore it with the strom version that wrote it", "without --from-savepoint")
	if strings.Contains(err.Error(), "away") || !errors.Is(err, checkpoint.ErrNewerVersion) {
		t.Fatalf("error %q: advice for a checkpoint directory, or not ErrNewerVersion", err)
	}
	t.Logf("refused: %v", err)
}

// TestNewerStateChunkRefused: inside valid files, key-group state and
// source state of a newer format version fail the restore with the
// version named; nothing is committed.
func TestNewerStateChunkRefused(t *testing.T) {
	t.Run("keyed state", func(t *testing.T) {
		dir, st, id, sink := newerDir(t)
		ctx := context.Background()
		m, err := st.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		edited := 0
		for i := range m.Operators {
			if m.Operators[i].UID != "seq-check" {
				continue
			}
			for j := range m.Operators[i].Keyed {
				f := &m.Operators[i].Keyed[j]
				base := f.Links(id)[0]
				sum := base.Sum()
				data, err := st.ReadFile(ctx, base.Dir, base.Name, &sum)
				if err != nil {
					t.Fatal(err)
				}
				start, end, chunks, err := checkpoint.DecodeKeyed(data)
				if err != nil {
					t.Fatal(err)
				}
				for kg, c := range chunks {
					sb, timers, err := task.SplitKeyedChunk(c)
					if err != nil || len(sb) == 0 {
						t.Fatalf("key group %d: %v", kg, err)
					}
					sb = append([]byte{9}, sb[1:]...) // the state's version byte
					chunks[kg] = task.KeyedChunk(sb, timers)
					edited++
				}
				// Written as the newer build would: a new file of this
				// checkpoint, named in the metadata with its sum.
				out := checkpoint.EncodeKeyed(start, end, chunks)
				name := "newer-" + base.Name
				if err := os.WriteFile(filepath.Join(dir, checkpoint.ChkDirName(id), name), out, 0o644); err != nil {
					t.Fatal(err)
				}
				*f = checkpoint.KeyedFile{Name: name, Start: start, End: end, Size: int64(len(out)), CRC: checkpoint.CRC(out)}
			}
		}
		if edited == 0 {
			t.Fatal("no keyed state to edit")
		}
		rewriteMetadata(t, dir, m, nil)
		if _, err := checkpoint.Verify(ctx, st, id); err != nil {
			t.Fatalf("the edited checkpoint does not verify: %v", err)
		}
		// With a restart strategy, the refusal ends the job at once:
		// restarting cannot make this build read the state.
		err, rows, log := runOver(t, dir, "", sink, &stream.RestartStrategy{MaxAttempts: 3, Delay: time.Millisecond})
		mustRefuse(t, err, rows, log, "version 9", "a newer strom wrote it")
		if !errors.Is(err, checkpoint.ErrNewerVersion) || strings.Contains(log, "restarting") {
			t.Fatalf("error %v (want ErrNewerVersion) or restarted; log:\n%s", err, log)
		}
		t.Logf("refused: %v", err)
	})
	t.Run("source state", func(t *testing.T) {
		dir, st, id, sink := newerDir(t)
		m, err := st.Load(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		edited := 0
		for i := range m.Operators {
			for j, b := range m.Operators[i].Subtasks {
				if strings.HasPrefix(m.Operators[i].UID, "generator") && len(b) > 0 {
					m.Operators[i].Subtasks[j] = append([]byte{9}, b[1:]...)
					edited++
				}
			}
		}
		if edited == 0 {
			t.Fatalf("no source state to edit in %+v", m.Operators)
		}
		rewriteMetadata(t, dir, m, nil)
		err, rows, log := runOver(t, dir, "", sink, &stream.RestartStrategy{MaxAttempts: 3, Delay: time.Millisecond})
		mustRefuse(t, err, rows, log, "version 9", "a newer strom wrote it")
		if !errors.Is(err, checkpoint.ErrNewerVersion) || strings.Contains(log, "restarting") {
			t.Fatalf("error %v (want ErrNewerVersion) or restarted; log:\n%s", err, log)
		}
		t.Logf("refused: %v", err)
	})
}
