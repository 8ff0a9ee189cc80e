package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/format"
	"github.com/stromio/strom/table"
)

// defaultPartition is the directory value of a NULL partition column, and
// emptyPartition the one of an empty string (escapePartition).
const (
	defaultPartition = "__DEFAULT_PARTITION__"
	emptyPartition   = "__EMPTY__"
)

// partSource reads a table PARTITIONED BY (k1, ..., kn) from the layout the
// sink writes: root/k1=<v1>/.../kn=<vn>/<files>. Each file is a split read by
// the file source (its ID and Data the file's path, as unpartitioned); the
// partition columns of its rows are the values of its directories, parsed
// as the columns' types (format.ParseText, the inverse of the sink's
// format.AppendText), __DEFAULT_PARTITION__ as NULL.
type partSource struct {
	inner *Source[table.Row]
	root  string
	keys  []string     // partition column names
	idx   []int        // their positions in the table's rows
	types []table.Type // and types
	// filter, when not nil, prunes partitions: a directory whose values
	// (with those of the directories above it) it rejects is skipped,
	// neither listed nor opened.
	filter connector.PartitionFilter
}

var _ connector.Source[table.Row] = (*partSource)(nil)

func (s *partSource) Bounded() bool { return s.inner.Bounded() }

// Splits walks the partition directories: at depth i (0-based) only
// directories k(i+1)=<value>, files only at depth n. Names starting with
// '.' or '_' are skipped (in-progress and marker files), as unpartitioned.
// Anything else is an error naming the path, so that no file is silently
// left out. A table without any file has no splits. With a filter, a
// partition directory it rejects is skipped with everything under it (not
// listed: what is inside is not checked either).
func (s *partSource) Splits(ctx context.Context) ([]connector.Split, error) {
	if s.inner.err != nil {
		return nil, s.inner.err
	}
	fi, err := os.Stat(s.root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notExist(s.root, err)
	}
	if err != nil {
		return nil, fmt.Errorf("strom: file source: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("strom: file source: %s is not a directory (a partitioned table's 'path' is the root of its partition directories)", s.root)
	}
	var out []connector.Split
	vals := make([]table.Value, len(s.keys)) // of the directories on the way
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("strom: file source: %w", err)
		}
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			if n := e.Name(); !strings.HasPrefix(n, ".") && !strings.HasPrefix(n, "_") {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			p := filepath.Join(dir, n)
			fi, err := os.Stat(p) // follows symlinks
			if err != nil {
				return fmt.Errorf("strom: file source: %w", err)
			}
			switch {
			case depth == len(s.keys) && fi.Mode().IsRegular():
				out = append(out, connector.Split{ID: p, Data: []byte(p)})
			case depth < len(s.keys) && fi.IsDir():
				// Parsed here too, so that a bad value fails the job
				// start rather than the reader of one of its files.
				v, err := s.parse(depth, n, p)
				if err != nil {
					return err
				}
				vals[depth] = v
				if s.filter != nil && !s.filter.Keep(vals[:depth+1]) {
					continue // pruned
				}
				if err := walk(p, depth+1); err != nil {
					return err
				}
			case depth == len(s.keys) && fi.IsDir():
				return fmt.Errorf("strom: file source: %s: a directory inside the partition directory %s (PARTITIONED BY %s has %d levels)", p, dir, strings.Join(s.keys, ", "), len(s.keys))
			case depth < len(s.keys) && fi.Mode().IsRegular():
				return fmt.Errorf("strom: file source: %s: a file outside the partition directories (PARTITIONED BY %s: %s)", p, strings.Join(s.keys, ", "), s.layout())
			}
		}
		return nil
	}
	if err := walk(s.root, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// layout is the expected directory layout, for errors: "a=<value>/b=<value>/<files>".
func (s *partSource) layout() string {
	var b strings.Builder
	for _, k := range s.keys {
		b.WriteString(escapePartition(k))
		b.WriteString("=<value>/")
	}
	b.WriteString("<files>")
	return b.String()
}

// parse reads the value of partition column i from the directory name at
// path p ("k=<escaped value>").
func (s *partSource) parse(i int, name, p string) (table.Value, error) {
	key, val, ok := strings.Cut(name, "=")
	want := escapePartition(s.keys[i])
	if !ok || key != want {
		return table.Null, fmt.Errorf("strom: file source: %s: not a partition directory %s=<value> (PARTITIONED BY %s: %s)", p, want, strings.Join(s.keys, ", "), s.layout())
	}
	if val == defaultPartition {
		return table.Null, nil
	}
	text := ""
	if val != emptyPartition {
		var err error
		if text, err = unescapePartition(val); err != nil {
			return table.Null, fmt.Errorf("strom: file source: partition directory %s: %v", p, err)
		}
	}
	v, err := format.ParseText(text, s.types[i])
	if err != nil {
		return table.Null, fmt.Errorf("strom: file source: partition directory %s: column %s: %v", p, s.keys[i], err)
	}
	return v, nil
}

// unescapePartition undoes escapePartition's %XX.
func unescapePartition(v string) (string, error) {
	if !strings.Contains(v, "%") {
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		if i+2 >= len(v) {
			return "", fmt.Errorf("bad escape in %q", v)
		}
		c, err := strconv.ParseUint(v[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", v)
		}
		b.WriteByte(byte(c))
		i += 2
	}
	return b.String(), nil
}

// values parses the partition values of the file at path (its last
// len(keys) directories).
func (s *partSource) values(path string) ([]table.Value, error) {
	vals := make([]table.Value, len(s.keys))
	dir := filepath.Dir(path)
	for i := len(s.keys) - 1; i >= 0; i-- {
		v, err := s.parse(i, filepath.Base(dir), dir)
		if err != nil {
			return nil, err
		}
		vals[i] = v
		dir = filepath.Dir(dir)
	}
	return vals, nil
}

func (s *partSource) Open(ctx context.Context, split connector.Split, pos []byte) (connector.Reader[table.Row], error) {
	path := string(split.Data)
	if path == "" {
		path = split.ID
	}
	vals, err := s.values(path)
	if err != nil {
		return nil, err
	}
	r, err := s.inner.Open(ctx, split, pos)
	if err != nil {
		return nil, err
	}
	return &partReader{Reader: r.(*Reader[table.Row]), idx: s.idx, vals: vals}, nil
}

// partReader fills the partition columns of the rows of one file (the
// widened rows have fresh fields, NULL there).
type partReader struct {
	*Reader[table.Row]
	idx  []int
	vals []table.Value
}

func (r *partReader) Read(ctx context.Context, buf []table.Row) (int, error) {
	n, err := r.Reader.Read(ctx, buf)
	for _, row := range buf[:n] {
		for j, i := range r.idx {
			row.Fields[i] = r.vals[j]
		}
	}
	return n, err
}
