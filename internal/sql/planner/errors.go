package planner

import (
	"errors"
	"fmt"

	"github.com/stromio/strom/internal/sql/expr"
	"github.com/stromio/strom/internal/sql/parser"
)

// Error is a planning error at a position of the statement's text.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg) }

func errAt(n parser.Node, format string, args ...any) error {
	p := n.Pos()
	return &Error{Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)}
}

// wrapAt gives err the position of n unless it already has one; a type
// error of the expression library says what it found.
func wrapAt(n parser.Node, err error) error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		return err
	}
	var te *expr.TypeError
	if errors.As(err, &te) {
		return errAt(n, "type mismatch in %s: %s", n.String(), te.Msg)
	}
	return errAt(n, "%v", err)
}
