package planner

import (
	"reflect"
	"testing"
)

// TestPruneKnowsRegularJoin: the column pruning below a regular join
// rewrites every field of RegularJoin; a new field must be taught to it
// (pruneJoin leaves a join it does not know alone, which would silently
// end the pruning).
func TestPruneKnowsRegularJoin(t *testing.T) {
	if n := reflect.TypeOf(RegularJoin{}).NumField(); n != joinFields {
		t.Fatalf("RegularJoin has %d fields, pruneJoin knows %d: teach prune.go the new field and update joinFields", n, joinFields)
	}
}

// TestPruneKnowsLookupJoin: as TestPruneKnowsRegularJoin, for the pruning
// below a lookup join (pruneLookupJoin).
func TestPruneKnowsLookupJoin(t *testing.T) {
	if n := reflect.TypeOf(LookupJoin{}).NumField(); n != lookupJoinFields {
		t.Fatalf("LookupJoin has %d fields, pruneLookupJoin knows %d: teach prune.go the new field and update lookupJoinFields", n, lookupJoinFields)
	}
}
