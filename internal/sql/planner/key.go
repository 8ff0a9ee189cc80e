package planner

import (
	"encoding/binary"

	"github.com/stromio/strom/table"
)

// fastKeyOf returns the key function of keyOf for up to 8 key columns of
// integer, TIMESTAMP(p <= 3) and string types, or nil: it writes the bytes
// of table.RowCodec (equal keys, key groups and Decode are unchanged)
// into a buffer on the stack, so a key costs one allocation, its string.
// A value of another kind than its column's falls back to slow.
func fastKeyOf(types []table.Type, keys []int, slow func(table.Row) string) func(table.Row) string {
	if len(keys) == 0 || len(keys) > 8 {
		return nil
	}
	kinds := make([]table.Kind, len(types))
	for i, t := range types {
		switch k := table.KindOf(t); {
		case k == table.KindInt, k == table.KindString, k == table.KindTimestamp && t.Precision() <= 3:
			kinds[i] = k
		default:
			return nil
		}
	}
	return func(r table.Row) string {
		var arr [64]byte
		b := append(arr[:0], table.RowCodecVersion, byte(table.Insert), byte(len(keys)), 0)
		const bm = 3 // the null bitmap's byte (one: at most 8 keys)
		for i, k := range keys {
			v := r.Fields[k]
			switch {
			case v.IsNull():
				b[bm] |= 1 << i
			case v.Kind() != kinds[i]:
				return slow(r)
			case kinds[i] == table.KindString:
				s := v.AsString()
				b = binary.AppendUvarint(b, uint64(len(s)))
				b = append(b, s...)
			default: // the int64 payload of INT and TIMESTAMP(3)
				b = binary.AppendVarint(b, v.AsInt())
			}
		}
		return string(b)
	}
}
