package file

import (
	"errors"
	"fmt"
)

// LineError is a bad line in a source file: it does not parse, is not valid
// UTF-8 or is too long. Its message says what to do about it.
type LineError struct {
	// Path is the file (as listed in the split).
	Path string
	// Line is the 1-based line number where the record starts; Offset is
	// the byte offset of its first byte.
	Line, Offset int64
	// Reason says what is wrong with the line.
	Reason string
	// Err is the underlying decoder error, if any.
	Err  error
	hint string
	// skipSetting names the setting that skips bad lines (SourceOptions.SkipSetting)
	skipSetting string
}

func (e *LineError) Error() string {
	hint := e.hint
	if hint == "" {
		s := e.skipSetting
		if s == "" {
			s = "OnError=skip"
		}
		hint = "fix the line or set " + s
	}
	return fmt.Sprintf("strom: file %s line %d (offset %d): %s; %s", e.Path, e.Line, e.Offset, e.Reason, hint)
}

func (e *LineError) Unwrap() error { return e.Err }

// IsBadInput reports whether err is (or wraps) a *LineError, that is bad
// data rather than an I/O or configuration problem.
func IsBadInput(err error) bool {
	var le *LineError
	return errors.As(err, &le)
}

// ErrCorruptPosition is wrapped by the error Open returns for a position that
// this source did not produce or that does not fit the file any more.
var ErrCorruptPosition = errors.New("strom: file: corrupt or foreign source position")
