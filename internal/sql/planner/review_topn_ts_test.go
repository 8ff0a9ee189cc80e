package planner

import (
	"slices"
	"testing"

	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/table"
)

// TestRetractTopNTimestamp3Nanos (review of branch q6topn): a TIMESTAMP(3)
// value carrying nanoseconds below the millisecond (the CSV and JSON
// formats let them through) is kept in the Top-N's cache as the state
// decodes it (milliseconds), so the changelog is the same with or without
// a restore between the rows (with the cache's copy the retraction matched
// only while the partition was cached), and every row it emits is in
// milliseconds, so its retractions equal what it emitted before (the
// reference implementation emitted the entering row with its nanoseconds
// and retracted it without).
func TestRetractTopNTimestamp3Nanos(t *testing.T) {
	cols := []Col{
		{Name: "p", Type: table.BigIntType()},
		{Name: "ts", Type: table.TimestampType(3)},
		{Name: "v", Type: table.BigIntType()},
	}
	in := &Calc{cols: cols}
	keyFn, _ := keyOf(in, []int{0})
	rc := rowCodecOf(in)
	x := &TopN{In: in, Partition: []int{0}, Order: []SortKey{{Col: 2, Desc: true}}, N: 3, Func: RowNumber, WindowEnd: -1}
	row := func(v int64) []table.Value {
		return []table.Value{table.Int(1), table.Timestamp(1_700_000_000_123, 456_000), table.Int(v)}
	}
	ops := []ckOp{
		{ts: 0, row: table.Row{Kind: table.Insert, Fields: row(5)}},
		{ts: 1, row: table.Row{Kind: table.UpdateBefore, Fields: row(5)}},
		{ts: 2, row: table.Row{Kind: table.UpdateAfter, Fields: row(6)}},
	}
	ref := runKeyedCheckpointed(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
		return refRetractTopN(x, rc)
	})
	got := runKeyedCheckpointed(t, ops, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
		return newTestRetractTopN(x, rc, false)
	})
	opsRestore := append([]ckOp{ops[0], {kind: 3}}, ops[1:]...)
	gotRestore := runKeyedCheckpointed(t, opsRestore, keyFn, func(int) stream.KeyedProcessFunction[string, table.Row, table.Row] {
		return newTestRetractTopN(x, rc, false)
	})
	want := []string{"0 +I(1, TIMESTAMP '2023-11-14 22:13:20.123', 5, 1)", "2 -U(1, TIMESTAMP '2023-11-14 22:13:20.123', 5, 1)",
		"2 +U(1, TIMESTAMP '2023-11-14 22:13:20.123', 6, 1)", "2 +I(1, TIMESTAMP '2023-11-14 22:13:20.123', 5, 2)", "WM 9223372036854775807"}
	if !slices.Equal(got, want) || !slices.Equal(slices.DeleteFunc(gotRestore, func(s string) bool { return s == "CK" }), want) {
		t.Fatalf("changelogs:\nref         %q\nnew         %q\nnew+restore %q\nwant        %q", ref, got, gotRestore, want)
	}
}

func TestRowCodecTruncating(t *testing.T) {
	rc := table.NewRowCodecTypes(table.BigIntType(), table.TimestampType(3), table.TimestampType(6), table.TimestampLTZType(0),
		table.ArrayType(table.TimestampType(3)))
	top, nested := rc.Truncating()
	if !slices.Equal(top, []int{1, 3}) || !nested {
		t.Fatalf("Truncating() = %v, %v; want [1 3], true", top, nested)
	}
	fs := []table.Value{table.Int(1), table.Timestamp(5, 7), table.Timestamp(5, 7), table.Timestamp(9, 1), table.Null}
	table.Canonical(fs, top)
	if ms, ns := fs[1].AsTimestamp(); ms != 5 || ns != 0 {
		t.Fatalf("field 1: %d, %d", ms, ns)
	}
	if _, ns := fs[2].AsTimestamp(); ns != 7 {
		t.Fatal("a TIMESTAMP(6) lost its nanoseconds")
	}
}
