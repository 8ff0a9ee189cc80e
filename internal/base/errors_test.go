package base

import (
	"errors"
	"testing"
)

// TestWrapfPrefixOnce: a connector's error ("strom: ...") wrapped by the
// runtime, once or twice and inside an OperatorError, reads with its
// "strom: " left out, and errors.Is still finds it.
func TestWrapfPrefixOnce(t *testing.T) {
	cause := errors.New("strom: file source: stat /x: no such file or directory")
	one := Wrapf(cause, "source %q: list splits", "scan:t")
	if got, want := one.Error(), `source "scan:t": list splits: file source: stat /x: no such file or directory`; got != want {
		t.Errorf("Wrapf: %q, want %q", got, want)
	}
	op := &OperatorError{Operator: "scan:t", Subtask: 1, Cause: Wrapf(one, "outer")}
	if got, want := op.Error(), `operator "scan:t" (subtask 1) failed: outer: source "scan:t": list splits: file source: stat /x: no such file or directory`; got != want {
		t.Errorf("OperatorError: %q, want %q", got, want)
	}
	if !errors.Is(op, cause) {
		t.Error("errors.Is does not find the cause through Wrapf and OperatorError")
	}
	// A cause without the prefix is kept as it is.
	if got := Wrapf(errors.New("stromal: x"), "c").Error(); got != "c: stromal: x" {
		t.Errorf("got %q", got)
	}
	if got := TrimPrefix(Prefix + Prefix + "x"); got != Prefix+"x" {
		t.Errorf("TrimPrefix: %q, want one prefix removed", got)
	}
}
