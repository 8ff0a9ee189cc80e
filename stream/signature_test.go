package stream_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stromio/strom/internal/checkpoint"
)

// TestDataStreamCheckpointsUnsigned: a DataStream job gives its operators
// no state signature (DESIGN.md §7 "State signatures"): its checkpoints
// are written in metadata versions 1 and 2 as before, byte for byte (4
// when they hold timers of version 2, docs/format/checkpoint.md §2.4), and
// restore without a check.
func TestDataStreamCheckpointsUnsigned(t *testing.T) {
	dir, st, id, sink := newerDir(t)
	ids, err := st.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ids {
		data, err := os.ReadFile(filepath.Join(dir, checkpoint.ChkDirName(i), checkpoint.MetadataFile))
		if err != nil {
			t.Fatal(err)
		}
		if data[9] != 1 && data[9] != 2 && data[9] != 4 {
			t.Fatalf("chk-%d: metadata version %d, want 1 or 2 (4 with timers of version 2: version 3's layout, no signature)", i, data[9])
		}
		m, err := checkpoint.DecodeMetadata(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range m.Operators {
			if op.Signature != "" {
				t.Fatalf("chk-%d: operator %q has the signature %q", i, op.UID, op.Signature)
			}
		}
	}
	err, _, log := runOver(t, dir, "", sink)
	if err != nil {
		t.Fatalf("restore of chk-%d: %v\n%s", id, err, log)
	}
}
