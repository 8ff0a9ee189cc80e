package file

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Format is the layout of a file's records.
type Format string

const (
	// FormatJSONLines is one JSON value per line (decoded into T with
	// encoding/json rules: unknown fields are ignored, order is free).
	FormatJSONLines Format = "jsonl"
	// FormatCSV is comma-separated values (RFC 4180) mapped onto the fields
	// of a struct T (see CSVOptions), or T = []string for the raw fields.
	FormatCSV Format = "csv"
	// FormatLines is one raw line per record; T is a string type or []byte.
	FormatLines Format = "lines"
)

// OnError says what the source does with a bad line.
type OnError string

const (
	// OnErrorFail stops the reader with a *LineError (the default). The
	// position stays before the bad line, so a restart fails the same way.
	OnErrorFail OnError = "fail"
	// OnErrorSkip drops the line and counts it (Source.Skipped).
	OnErrorSkip OnError = "skip"
)

// DefaultMaxLineBytes is the default SourceOptions.MaxLineBytes (1 MiB).
const DefaultMaxLineBytes = 1 << 20

const maxMaxLineBytes = 1 << 30

// CSVOptions configure FormatCSV, for sources and sinks.
type CSVOptions struct {
	// Comma is the field delimiter (default ',').
	Comma rune
	// NoHeader says the files have no header row: columns map to the
	// fields of T by position (exported fields in declaration order,
	// skipping `csv:"-"`). By default the first record of each file is a
	// header and columns map to fields by name: the `csv:"name"` tag, else
	// the field name (case-insensitive). Columns without a field are
	// ignored; fields without a column keep their zero value. A sink writes
	// the header when it starts an empty file, unless NoHeader is set.
	NoHeader bool
}

func (o CSVOptions) comma() rune {
	if o.Comma == 0 {
		return ','
	}
	return o.Comma
}

func (o CSVOptions) validate() error {
	c := o.comma()
	if c == '"' || c == '\r' || c == '\n' || c == utf8.RuneError || !utf8.ValidRune(c) {
		return fmt.Errorf("strom: file: invalid CSV Comma %q", c)
	}
	return nil
}

// SourceOptions configure a Source. The zero value of every field but Paths
// is its default.
type SourceOptions struct {
	// Paths are files, directories or glob patterns (filepath.Match syntax).
	// A directory stands for the regular files directly in it whose names
	// do not start with '.' or '_'. The files are listed once, when the job
	// starts; each is one split. Required; a pattern matching nothing is an
	// error.
	Paths []string
	// Format is the record format (default FormatJSONLines).
	Format Format
	// OnError is what a bad line does (default OnErrorFail).
	OnError OnError
	// MaxLineBytes bounds a line (for CSV: a record) without its line
	// ending (default DefaultMaxLineBytes, at most 1 GiB). Longer lines are
	// bad lines; a reader's buffer never grows beyond MaxLineBytes+2.
	MaxLineBytes int
	// Monitor makes the source unbounded: readers tail their files, return
	// (0, nil) until another complete line is appended and never end. A
	// final line without a newline is only read once its newline arrives.
	// Truncating a tailed file is an error; renaming it is not noticed.
	Monitor bool
	// CSV configures FormatCSV.
	CSV CSVOptions
	// SkipSetting and MaxLineSetting are how a bad line's error (its
	// hint) names the settings of OnErrorSkip and MaxLineBytes to the user
	// (defaults "OnError=skip" and "MaxLineBytes"; the SQL table names its
	// WITH options).
	SkipSetting, MaxLineSetting string
}

// Validate reports the first invalid option.
func (o SourceOptions) Validate() error {
	if len(o.Paths) == 0 {
		return errors.New("strom: file source: no Paths given")
	}
	for _, p := range o.Paths {
		if p == "" {
			return errors.New("strom: file source: empty path in Paths")
		}
	}
	if err := validFormat(o.Format); err != nil {
		return err
	}
	switch o.OnError {
	case "", OnErrorFail, OnErrorSkip:
	default:
		return fmt.Errorf("strom: file source: OnError must be %q or %q, got %q", OnErrorFail, OnErrorSkip, o.OnError)
	}
	if o.MaxLineBytes < 0 || o.MaxLineBytes > maxMaxLineBytes {
		return fmt.Errorf("strom: file source: MaxLineBytes must be in 0..%d (0: the default), got %d", maxMaxLineBytes, o.MaxLineBytes)
	}
	return o.CSV.validate()
}

func validFormat(f Format) error {
	switch f {
	case "", FormatJSONLines, FormatCSV, FormatLines:
		return nil
	}
	return fmt.Errorf("strom: file: Format must be %q, %q or %q, got %q", FormatJSONLines, FormatCSV, FormatLines, f)
}

func (o SourceOptions) withDefaults() SourceOptions {
	if o.Format == "" {
		o.Format = FormatJSONLines
	}
	if o.OnError == "" {
		o.OnError = OnErrorFail
	}
	if o.MaxLineBytes == 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.SkipSetting == "" {
		o.SkipSetting = "OnError=skip"
	}
	if o.MaxLineSetting == "" {
		o.MaxLineSetting = "MaxLineBytes"
	}
	o.CSV.Comma = o.CSV.comma()
	o.Paths = append([]string(nil), o.Paths...)
	return o
}

// SinkOptions configure a Sink. Exactly one of Dir and File is set.
type SinkOptions struct {
	// Dir is the output directory (created if missing); subtask i writes
	// Dir/part-<i>-0.<ext> with ext jsonl, csv or txt.
	Dir string
	// File is the single output file; only for a sink with parallelism 1.
	File string
	// Format is the record format (default FormatJSONLines).
	Format Format
	// Truncate empties existing output files when the writer opens. By
	// default writers append, so after a restore from a checkpoint the
	// replayed records appear again (at-least-once) instead of records
	// written before the failure being lost.
	Truncate bool
	// BufferBytes is how much a writer buffers before it writes to the file
	// (default 64 KiB); Flush and Close write the rest.
	BufferBytes int
	// CSV configures FormatCSV.
	CSV CSVOptions
}

// Validate reports the first invalid option.
func (o SinkOptions) Validate() error {
	if (o.Dir == "") == (o.File == "") {
		return errors.New("strom: file sink: set exactly one of Dir and File")
	}
	if err := validFormat(o.Format); err != nil {
		return err
	}
	if o.BufferBytes < 0 {
		return fmt.Errorf("strom: file sink: BufferBytes must not be negative, got %d", o.BufferBytes)
	}
	return o.CSV.validate()
}

func (o SinkOptions) withDefaults() SinkOptions {
	if o.Format == "" {
		o.Format = FormatJSONLines
	}
	if o.BufferBytes == 0 {
		o.BufferBytes = 64 << 10
	}
	o.CSV.Comma = o.CSV.comma()
	return o
}
