package base_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stromio/strom/codec"
	"github.com/stromio/strom/internal/base"
	"github.com/stromio/strom/table"
)

func TestIsDecodeFailure(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("x: %w", table.ErrCorrupt), true},
		{&base.OperatorError{Operator: "op", Cause: fmt.Errorf("%w: 4 fields", table.ErrCorrupt)}, true},
		{fmt.Errorf("y: %w", codec.ErrShort), true},
		{errors.New("table: corrupt row encoding"), false}, // the text alone is not the error
		{nil, false},
	} {
		if got := base.IsDecodeFailure(c.err); got != c.want {
			t.Errorf("IsDecodeFailure(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	// The sentinels still match themselves through wrapping.
	if !errors.Is(fmt.Errorf("z: %w", table.ErrCorrupt), table.ErrCorrupt) || !errors.Is(fmt.Errorf("z: %w", codec.ErrShort), codec.ErrShort) {
		t.Fatal("errors.Is no longer finds the sentinels")
	}
	e := &base.RestoredStateError{From: "savepoint sp (checkpoint 3)", Cause: fmt.Errorf("strom: %w", table.ErrCorrupt)}
	if !errors.Is(e, table.ErrCorrupt) || !strings.HasPrefix(e.Error(), "table: corrupt row encoding\n") || !strings.Contains(e.Error(), "savepoint sp (checkpoint 3)") {
		t.Fatalf("RestoredStateError: %q", e.Error())
	}
}
