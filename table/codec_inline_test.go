package table

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// appendRowGeneral is AppendRow as it was before the inline scalars
// (encOp): every non-NULL value by appendValue. The reference of
// TestAppendRowInline.
func appendRowGeneral(c *RowCodec, dst []byte, r Row) ([]byte, error) {
	if len(r.Fields) != len(c.types) {
		return dst, fmt.Errorf("table: row has %d fields, schema %d", len(r.Fields), len(c.types))
	}
	if r.Kind >= numRowKinds {
		return dst, fmt.Errorf("table: invalid row kind %d", r.Kind)
	}
	dst = append(dst, RowCodecVersion, byte(r.Kind))
	dst = binary.AppendUvarint(dst, uint64(len(r.Fields)))
	bm := len(dst)
	for range (len(r.Fields) + 7) / 8 {
		dst = append(dst, 0)
	}
	for i, v := range r.Fields {
		if v.IsNull() {
			dst[bm+i/8] |= 1 << (i % 8)
			continue
		}
		var err error
		if dst, err = appendValue(dst, v, c.types[i]); err != nil {
			return dst, fmt.Errorf("table: field %d: %w", i, err)
		}
	}
	return dst, nil
}

// TestAppendRowInline: AppendRow, which encodes scalars inline, gives the
// bytes (and errors) of the general path on random schemas of every
// column type (nested ones too) and rows with NULLs, and on rows whose
// values are of another column's type (a kind mismatch is an error on
// both).
func TestAppendRowInline(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s, r := genSchemaRow(t)
		c := NewRowCodec(s)
		if len(r.Fields) > 1 && rapid.IntRange(0, 4).Draw(t, "mix") == 0 {
			// Values of other columns: kinds that may not match.
			r.Fields = slices.Clone(r.Fields)
			i, j := rapid.IntRange(0, len(r.Fields)-1).Draw(t, "i"), rapid.IntRange(0, len(r.Fields)-1).Draw(t, "j")
			r.Fields[i], r.Fields[j] = r.Fields[j], r.Fields[i]
		}
		got, gerr := c.AppendRow([]byte("prefix"), r)
		want, werr := appendRowGeneral(c, []byte("prefix"), r)
		if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("error %v, want %v", gerr, werr)
		}
		if gerr == nil && !bytes.Equal(got, want) {
			t.Fatalf("encoding\n got %x\nwant %x", got, want)
		}
	})
}
