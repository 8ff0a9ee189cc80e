package checkpoint

import (
	"context"
	"strings"
	"testing"

	"github.com/stromio/strom/internal/vfs"
)

// onlyStorage hides Local's WriteFileSum: WriteSummed's fallback path.
type onlyStorage struct{ Storage }

// WriteSummed stores the bytes under the caller's sum, which ReadFile then
// checks against the file; a sum that does not match the bytes is refused
// (Local: a wrong size; the fallback: any difference).
func TestWriteSummed(t *testing.T) {
	ctx := context.Background()
	l := NewLocal(vfs.OS{}, t.TempDir())
	var _ SumWriter = l
	data := []byte("keyed file bytes")
	sum := FileSum{Size: int64(len(data)), CRC: CRC(data)}
	for _, st := range []Storage{l, onlyStorage{l}} {
		got, err := WriteSummed(ctx, st, 1, "a.state", data, sum)
		if err != nil || got != sum {
			t.Fatalf("%T: WriteSummed = %+v, %v; want %+v", st, got, err, sum)
		}
		back, err := st.ReadFile(ctx, 1, "a.state", &sum)
		if err != nil || string(back) != string(data) {
			t.Fatalf("%T: ReadFile = %q, %v", st, back, err)
		}
		if _, err := WriteSummed(ctx, st, 1, "b.state", data, FileSum{Size: sum.Size + 1, CRC: sum.CRC}); err == nil {
			t.Fatalf("%T: a wrong size was accepted", st)
		}
	}
	_, err := WriteSummed(ctx, onlyStorage{l}, 1, "c.state", data, FileSum{Size: sum.Size, CRC: sum.CRC ^ 1})
	if err == nil || !strings.Contains(err.Error(), "its writer computed") {
		t.Fatalf("fallback with a wrong CRC: %v", err)
	}
}
