package cluster

import (
	"errors"
	"strings"
	"testing"

	"github.com/stromio/strom/internal/checkpoint"
)

// TestCheckSignatures: state recorded under a UID with another signature
// than the job's operator of that UID is refused; no signature on either
// side (a checkpoint of an earlier build, a DataStream operator), equal
// signatures, an operator without state or one the job does not have are
// not.
func TestCheckSignatures(t *testing.T) {
	keyed := []checkpoint.KeyedFile{{Name: "f", Start: 0, End: 1}}
	r := &checkpoint.Metadata{ID: 7, Operators: []checkpoint.OperatorState{
		{UID: "sql-2-group-agg", Signature: "group-agg COUNT", Keyed: keyed},
		{UID: "sql-3-group-agg", Signature: "group-agg SUM", Keyed: keyed},
		{UID: "sql-4-rank", Signature: "rank A"},                       // no state
		{UID: "map-1", Keyed: keyed},                                   // a DataStream operator
		{UID: "sql-5-join", Keyed: keyed},                              // an earlier build's
		{UID: "sql-6-gone", Signature: "group-agg X", Keyed: keyed},    // not in the job
		{UID: "sql-7-dedup", Signature: "deduplicate D", Keyed: keyed}, // the job's has none
	}}
	ok := map[string]string{"sql-2-group-agg": "group-agg COUNT", "sql-3-group-agg": "group-agg SUM", "sql-4-rank": "rank B",
		"sql-5-join": "join J"}
	if err := checkSignatures(r, ok, "checkpoint 7"); err != nil {
		t.Fatalf("compatible: %v", err)
	}
	bad := map[string]string{"sql-2-group-agg": "group-agg MAX", "sql-3-group-agg": "group-agg SUM"}
	err := checkSignatures(r, bad, "savepoint /sp (checkpoint 7)")
	var se *SignatureError
	if !errors.As(err, &se) || len(se.Mismatches) != 1 || se.Mismatches[0] != (SignatureMismatch{UID: "sql-2-group-agg", Old: "group-agg COUNT", New: "group-agg MAX"}) {
		t.Fatalf("mismatch: %#v", err)
	}
	for _, want := range []string{"refusing to restore savepoint /sp (checkpoint 7)", "operator sql-2-group-agg: its state in the checkpoint is group-agg COUNT; the job's operator keeps group-agg MAX",
		"without --from-savepoint", "--allow-non-restored-state does not apply"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}
