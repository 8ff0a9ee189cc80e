package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
)

// Source reads records of type T from files. Create it with NewSource,
// JSONLines, CSV or Lines.
type Source[T any] struct {
	opts    SourceOptions
	err     error                // invalid options or T, reported by Splits and Open
	csv     *format.CSVFormat[T] // FormatCSV only, without dec
	dec     format.Decoder[T]    // NewSourceDecoder: decodes every record
	skipped atomic.Int64
}

var _ connector.Source[int] = (*Source[int])(nil)

// NewSource returns a source with opts, or an error if the options are
// invalid or T does not fit the format (FormatCSV needs a struct of
// supported field types or []string, FormatLines a string type or []byte).
func NewSource[T any](opts SourceOptions) (*Source[T], error) {
	s := newSource[T](opts)
	return s, s.err
}

// NewSourceDecoder returns a source whose records are decoded by dec instead
// of the mapping of Format onto T: Format only says where records end (a
// line; for FormatCSV a record may span lines inside quotes). Records that
// are not valid UTF-8 are bad lines before dec sees them; dec's errors are
// bad lines too. With FormatCSV and without CSV.NoHeader the first record
// of each file is skipped as a header. SQL tables (table.Row) read files
// this way.
func NewSourceDecoder[T any](opts SourceOptions, dec format.Decoder[T]) (*Source[T], error) {
	if dec == nil {
		return nil, errors.New("strom: file source: nil decoder")
	}
	s := newSourceWith[T](opts, dec)
	return s, s.err
}

func newSource[T any](opts SourceOptions) *Source[T] { return newSourceWith[T](opts, nil) }

func newSourceWith[T any](opts SourceOptions, dec format.Decoder[T]) *Source[T] {
	s := &Source[T]{dec: dec}
	if s.err = opts.Validate(); s.err != nil {
		return s
	}
	s.opts = opts.withDefaults()
	if dec != nil {
		return s
	}
	t := reflect.TypeFor[T]()
	switch s.opts.Format {
	case FormatCSV:
		s.csv, s.err = newCSVFormat[T](s.opts.CSV)
	case FormatLines:
		if !isLinesType(t) {
			s.err = fmt.Errorf("strom: file: the lines format needs a string type or []byte, not %v", t)
		}
	}
	return s
}

func isLinesType(t reflect.Type) bool {
	return t.Kind() == reflect.String || t == reflect.TypeFor[[]byte]()
}

// JSONLines is a bounded source of JSON lines with default options; an
// invalid argument is reported when the job starts (by Splits).
func JSONLines[T any](paths ...string) *Source[T] {
	return newSource[T](SourceOptions{Paths: paths, Format: FormatJSONLines})
}

// CSV is a bounded source of CSV files with a header row, default options.
func CSV[T any](paths ...string) *Source[T] {
	return newSource[T](SourceOptions{Paths: paths, Format: FormatCSV})
}

// Lines is a bounded source of raw lines (T a string type or []byte).
func Lines[T any](paths ...string) *Source[T] {
	return newSource[T](SourceOptions{Paths: paths, Format: FormatLines})
}

// Options returns the options with defaults filled in.
func (s *Source[T]) Options() SourceOptions { return s.opts }

// Bounded reports whether the source ends (it does unless Monitor is set).
func (s *Source[T]) Bounded() bool { return !s.opts.Monitor }

// Skipped is the number of bad lines skipped by all readers of the source
// (OnErrorSkip) since it was created.
func (s *Source[T]) Skipped() int64 { return s.skipped.Load() }

// Splits lists the files: one split per file, ID and Data the path.
func (s *Source[T]) Splits(ctx context.Context) ([]connector.Split, error) {
	if s.err != nil {
		return nil, s.err
	}
	seen := make(map[string]bool)
	var out []connector.Split
	for _, p := range s.opts.Paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				out = append(out, connector.Split{ID: f, Data: []byte(f)})
			}
		}
	}
	return out, nil
}

// expand turns a file, directory or glob pattern into file paths.
func expand(p string) ([]string, error) {
	fi, err := os.Stat(p)
	switch {
	case err == nil && fi.IsDir():
		return listDir(p)
	case err == nil:
		return []string{filepath.Clean(p)}, nil
	case errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(p, `*?[\`):
		return nil, notExist(p, err)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("strom: file source: %w", err)
	}
	matches, err := filepath.Glob(p)
	if err != nil {
		return nil, fmt.Errorf("strom: file source: pattern %q: %w", p, err)
	}
	var out []string
	for _, m := range matches {
		fi, err := os.Stat(m)
		if err != nil {
			return nil, fmt.Errorf("strom: file source: %w", err)
		}
		if fi.IsDir() {
			files, err := listDir(m)
			if err != nil {
				return nil, err
			}
			out = append(out, files...)
		} else if fi.Mode().IsRegular() {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("strom: file source: no files match %q", p)
	}
	return out, nil
}

// notExist is the error of a path that does not exist (err, from
// os.Stat), saying what to do.
func notExist(p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is in the message already
	}
	return fmt.Errorf("strom: file source: %s does not exist (%w): give the path of an existing file, directory or glob pattern (a SQL table's 'path' option), or create it", p, err)
}

func listDir(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("strom: file source: %w", err)
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			continue
		}
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p) // follows symlinks
		if err != nil {
			return nil, fmt.Errorf("strom: file source: %w", err)
		}
		if fi.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("strom: file source: directory %q has no files", dir)
	}
	return out, nil
}

// Open opens the file of split at pos (nil: the beginning). A position is
// checked against the file: it must come from this connector and fall on a
// line boundary within the file.
func (s *Source[T]) Open(ctx context.Context, split connector.Split, pos []byte) (connector.Reader[T], error) {
	if s.err != nil {
		return nil, s.err
	}
	path := string(split.Data)
	if path == "" {
		path = split.ID
	}
	var off, lines int64
	if pos != nil {
		var err error
		if off, lines, err = decodePosition(pos); err != nil {
			return nil, fmt.Errorf("strom: file %s: %w", path, err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("strom: file source: %w", err)
	}
	r := newReader(s, path, f)
	if err := r.start(off, lines); err != nil {
		_ = f.Close()
		return nil, err
	}
	return r, nil
}
