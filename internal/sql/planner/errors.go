package planner

import (
	"errors"
	"fmt"
	"strings"

	"github.com/stromio/strom/internal/sql/catalog"
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

// connErr is an error of table t's connector (its factory's TableSource,
// TableSink or options) with the table named: "table `t` (connector
// 'c'): <the connector's message>", the connector's leading "strom: "
// left out (the message is wrapped, and the command line prefixes what it
// prints), and no second naming when the connector's message starts with
// the table already (connector.TableOptions.Errorf: table "t": connector
// 'c': ...). errors.Is and errors.As see err.
func connErr(t *catalog.Table, err error) error {
	return &connError{msg: connText(t, err), err: err}
}

func connText(t *catalog.Table, err error) string {
	msg := strings.TrimPrefix(err.Error(), "strom: ")
	if strings.HasPrefix(msg, fmt.Sprintf("table %q:", t.Name)) {
		return msg
	}
	return fmt.Sprintf("table `%s` (connector '%s'): %s", t.Name, t.Connector, msg)
}

// connReason is a connector's error without the naming of the table and
// connector it may start with (for a message that names them already).
func connReason(t *catalog.Table, err error) string {
	msg := strings.TrimPrefix(err.Error(), "strom: ")
	msg = strings.TrimPrefix(msg, fmt.Sprintf("table %q: ", t.Name))
	return strings.TrimPrefix(msg, fmt.Sprintf("connector '%s': ", t.Connector))
}

type connError struct {
	msg string
	err error
}

func (e *connError) Error() string { return e.msg }
func (e *connError) Unwrap() error { return e.err }
