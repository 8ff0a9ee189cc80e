package streamsql_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/connector/datagen"
	fileconn "github.com/stromio/strom/connector/file"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

var update = flag.Bool("update", false, "rewrite the expected files of internal/sql/testdata")

// valuesFactory reads a table from <dir>/<table>.jsonl (or the file named
// by the 'file' option), one JSON object per row (table.ParseJSON; a null
// or missing NOT NULL column is an error naming the line); an
// "op" key gives the row kind (+I, -U, +U, -D). With col set, the option
// 'after-rows' = 'N' holds the source back until the collect tables have
// received N rows in all, which orders the changes of two sources of a
// join (all the first source's, then the second's).
type valuesFactory struct {
	dir string
	col *collectFactory
	// clock: the session's manual clock (a case with a file "clock"),
	// which 'advance-clock' moves.
	clock *stream.ManualClock
}

func (f valuesFactory) Name() string { return "values" }
func (f valuesFactory) Options() []connector.TableOption {
	return []connector.TableOption{{Key: "file", Description: "the JSON-lines file, relative to input/"},
		{Key: "changelog", Description: "'true': rows carry an \"op\" (+I, -U, +U, -D)"},
		{Key: "one-per-read", Description: "'true': the source reads one row at a time, so the watermark advances after every row (late rows can be tested)"},
		{Key: "after-rows", Description: "N: the source reads nothing until the collect tables have received N rows"},
		{Key: "advance-clock", Description: "a duration ('1h'): the source reads one row at a time and moves the case's manual clock (file \"clock\") by it before each row"},
		{Key: "unique-key", Description: "columns ('id' or 'a,b', or ROW field paths 'auction.id') the case's rows never repeat (connector.UniqueKeyTableSource, as the nexmark connector states auction ids)"},
		{Key: "unique-key-tag", Description: "'col=N': the unique key holds among the rows whose integer column col is N (as the nexmark connector's auction ids among event_type = 1)"}}
}

// UniqueKeys: the columns of the option 'unique-key', a key the case's
// author vouches for (the regular join's unique mode).
func (f valuesFactory) UniqueKeys(t connector.TableContext) []connector.UniqueKey {
	v := t.Options["unique-key"]
	if v == "" {
		return nil
	}
	k := connector.UniqueKey{Tag: -1}
	if tag := t.Options["unique-key-tag"]; tag != "" {
		col, val, _ := strings.Cut(tag, "=")
		n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		if k.Tag = t.Schema.Index(strings.TrimSpace(col)); k.Tag < 0 || err != nil {
			return nil
		}
		k.TagValue = n
	}
	for _, name := range strings.Split(v, ",") {
		// A column, or a field path into a ROW column: 'auction.id'.
		parts := strings.Split(strings.TrimSpace(name), ".")
		i := t.Schema.Index(parts[0])
		if i < 0 {
			return nil
		}
		path, ty := []int{i}, t.Schema.Columns[i].Type
		for _, f := range parts[1:] {
			j := slices.IndexFunc(ty.Fields(), func(x table.Field) bool { return x.Name == f })
			if j < 0 {
				return nil
			}
			path, ty = append(path, j), ty.Fields()[j].Type
		}
		k.Paths = append(k.Paths, path)
	}
	return []connector.UniqueKey{k}
}

// ProducesUpdates: a table is a changelog when its option 'changelog' is
// 'true' (its rows then carry "op").
func (f valuesFactory) ProducesUpdates(t connector.TableContext) bool {
	return t.Options["changelog"] == "true"
}

func (f valuesFactory) TableSource(_ context.Context, t connector.TableContext) (connector.Source[table.Row], error) {
	name := t.Options["file"]
	if name == "" {
		name = t.Name + ".jsonl"
	}
	data, err := os.ReadFile(filepath.Join(f.dir, name))
	if err != nil {
		return nil, err
	}
	var rows []table.Row
	sc := bufio.NewScanner(bytes.NewReader(data))
	for ln := 1; sc.Scan(); ln++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		r, err := table.ParseJSON(line, &t.Schema)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := notNullColumns(r, &t.Schema); err != nil {
			return nil, fmt.Errorf("input/%s line %d: %w", name, ln, err)
		}
		var op struct{ Op string }
		if err := json.Unmarshal(line, &op); err == nil && op.Op != "" {
			k, ok := table.ParseRowKind(op.Op)
			if !ok {
				return nil, fmt.Errorf("%s: bad op %q", name, op.Op)
			}
			r.Kind = k
		}
		rows = append(rows, r)
	}
	if a := t.Options["after-rows"]; a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || f.col == nil {
			return nil, fmt.Errorf("%s: bad after-rows %q (or no collect tables)", name, a)
		}
		return afterRows{rows: rows, n: n, col: f.col}, nil
	}
	if a := t.Options["advance-clock"]; a != "" {
		d, err := time.ParseDuration(a)
		if err != nil || f.clock == nil {
			return nil, fmt.Errorf("%s: bad advance-clock %q (or no file \"clock\")", name, a)
		}
		return oneAtATime{rows: rows, clock: f.clock, step: d}, nil
	}
	if t.Options["one-per-read"] == "true" {
		return oneAtATime{rows: rows}, nil
	}
	return stream.SliceSource[table.Row]{Items: rows}, nil
}

// notNullColumns refuses a row with no value (null or missing) for a NOT
// NULL column, as the row formats do (connector/format): the planner
// relies on those columns never being NULL (a PRIMARY KEY column is NOT
// NULL, and NOT IN over it is a plain anti join).
func notNullColumns(r table.Row, s *table.Schema) error {
	for i, c := range s.Columns {
		if r.Fields[i].IsNull() && !c.Type.Nullable() {
			return fmt.Errorf("column %q is NOT NULL but the row has no value for it (null or missing): give it one, or declare the column nullable (a PRIMARY KEY column is NOT NULL)", c.Name)
		}
	}
	return nil
}

// afterRows is a bounded source of rows, one split, that reads nothing
// until col has received n rows.
type afterRows struct {
	rows []table.Row
	n    int
	col  *collectFactory
}

func (s afterRows) Splits(context.Context) ([]connector.Split, error) {
	return []connector.Split{{ID: "rows"}}, nil
}
func (s afterRows) Bounded() bool { return true }
func (s afterRows) Open(ctx context.Context, sp connector.Split, pos []byte) (connector.Reader[table.Row], error) {
	r, err := stream.SliceSource[table.Row]{Items: s.rows}.Open(ctx, sp, pos)
	if err != nil {
		return nil, err
	}
	return &afterReader{Reader: r, s: s}, nil
}

type afterReader struct {
	connector.Reader[table.Row]
	s afterRows
}

func (r *afterReader) Read(ctx context.Context, buf []table.Row) (int, error) {
	r.s.col.mu.Lock()
	got := 0
	for _, rs := range r.s.col.rows {
		got += len(rs)
	}
	r.s.col.mu.Unlock()
	if got < r.s.n {
		time.Sleep(time.Millisecond) // not yet: no record now
		return 0, nil
	}
	return r.Reader.Read(ctx, buf)
}

// oneAtATime is a bounded source of rows, one split, read one row per Read:
// the source's watermark advances after each row. With a clock, each Read
// first advances it by step.
type oneAtATime struct {
	rows  []table.Row
	clock *stream.ManualClock
	step  time.Duration
}

func (s oneAtATime) Splits(context.Context) ([]connector.Split, error) {
	return []connector.Split{{ID: "rows"}}, nil
}
func (s oneAtATime) Bounded() bool { return true }
func (s oneAtATime) Open(_ context.Context, _ connector.Split, pos []byte) (connector.Reader[table.Row], error) {
	r := &oneReader{rows: s.rows, clock: s.clock, step: s.step}
	if pos != nil {
		v, n := binary.Uvarint(pos)
		if n <= 0 || v > uint64(len(s.rows)) {
			return nil, errors.New("oneAtATime: bad position")
		}
		r.next = int(v)
	}
	return r, nil
}

type oneReader struct {
	rows  []table.Row
	next  int
	clock *stream.ManualClock
	step  time.Duration
}

func (r *oneReader) Read(_ context.Context, buf []table.Row) (int, error) {
	if r.next >= len(r.rows) {
		return 0, io.EOF
	}
	if r.clock != nil {
		r.clock.Advance(r.step)
	}
	buf[0] = r.rows[r.next]
	r.next++
	return 1, nil
}
func (r *oneReader) Position() []byte { return binary.AppendUvarint(nil, uint64(r.next)) }
func (r *oneReader) Close() error     { return nil }

// collectFactory collects what a job writes into a table, by table name;
// 'append-only' = 'true' makes it refuse updates.
type collectFactory struct {
	mu      sync.Mutex
	rows    map[string][]table.Row
	schemas map[string]table.Schema
	// releasing: the writers copy each row's fields and say they keep no
	// row (connector.RecordReleaser).
	releasing bool
	// subtasks: the sink subtask that wrote each row of rows (by table),
	// and sinkPar the number of subtasks its writers were opened with.
	subtasks map[string][]int
	sinkPar  map[string]int
}

func (f *collectFactory) Name() string { return "collect" }
func (f *collectFactory) Options() []connector.TableOption {
	return []connector.TableOption{{Key: "append-only", Description: "refuse updating queries"}, connector.SinkParallelismOption()}
}

func (f *collectFactory) TableSink(_ context.Context, t connector.TableContext, updating bool) (connector.Sink[table.Row], error) {
	if updating && t.Options["append-only"] == "true" {
		return nil, errors.New("the sink is append-only")
	}
	f.mu.Lock()
	f.schemas[t.Name] = t.Schema
	f.mu.Unlock()
	return &collectSink{f: f, name: t.Name}, nil
}

type collectSink struct {
	f    *collectFactory
	name string
}

func (s *collectSink) Open(_ context.Context, info connector.SinkInfo) (connector.Writer[table.Row], error) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if s.f.sinkPar == nil {
		s.f.sinkPar, s.f.subtasks = map[string]int{}, map[string][]int{}
	}
	s.f.sinkPar[s.name] = info.Parallelism
	return &collectWriter{collectSink: s, subtask: info.Subtask}, nil
}
func (s *collectSink) ReleasesRecords() bool { return s.f.releasing }

// collectWriter is the writer of one sink subtask.
type collectWriter struct {
	*collectSink
	subtask int
}

func (s *collectWriter) Write(r table.Row, _ int64) error {
	if s.f.releasing {
		r.Fields = slices.Clone(r.Fields)
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.rows[s.name] = append(s.f.rows[s.name], r)
	s.f.subtasks[s.name] = append(s.f.subtasks[s.name], s.subtask)
	return nil
}
func (s *collectWriter) Flush(context.Context) error { return nil }
func (s *collectWriter) Close() error                { return nil }

// TestGolden runs every case of internal/sql/testdata: query.sql over
// input/<table>.jsonl; expected.jsonl is what the tables of connector
// 'collect' received (`{"table": ..., "op": ..., columns}` per row; sorted
// when every row is an insert, in arrival order otherwise, which is
// deterministic at parallelism 1 from one split), expected.txt the text
// the statements printed (EXPLAIN, SHOW, DESCRIBE), error.txt the error;
// expected_final.jsonl instead of expected.jsonl compares the changelog
// applied (for plans whose order of changes is not defined).
// Insert-only cases run again at parallelism 2, unless the case has a file
// "parallelism1" (late rows: at parallelism 2 when the watermark passes a
// row depends on when the source's splitless subtask says it is idle).
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("../internal/sql/testdata/*/query.sql")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, q := range dirs {
		dir := filepath.Dir(q)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			src, err := readCase(q)
			if err != nil {
				t.Fatal(err)
			}
			got, text, insertOnly, pks, runErr := runCaseKeys(t, dir, src, 1)
			if runErr != nil {
				check(t, filepath.Join(dir, "error.txt"), runErr.Error()+"\n")
				return
			}
			if _, err := os.Stat(filepath.Join(dir, "error.txt")); err == nil {
				t.Fatalf("expected an error (error.txt), got none")
			}
			if text != "" || fileExists(filepath.Join(dir, "expected.txt")) {
				check(t, filepath.Join(dir, "expected.txt"), text)
			}
			if fileExists(filepath.Join(dir, "expected_final.jsonl")) {
				// The order of the changelog is not defined (several
				// sources): compare the final rows.
				check(t, filepath.Join(dir, "expected_final.jsonl"), applyChangelog(t, got, pks))
			} else if got != "" || fileExists(filepath.Join(dir, "expected.jsonl")) {
				check(t, filepath.Join(dir, "expected.jsonl"), got)
				if insertOnly && !fileExists(filepath.Join(dir, "parallelism1")) {
					got2, _, _, err := runCase(t, dir, src, 2)
					if err != nil {
						t.Fatalf("parallelism 2: %v", err)
					}
					if got2 != got {
						t.Errorf("parallelism 2 gives other rows:\n%s\nwant:\n%s", got2, got)
					}
				}
			}
		})
	}
}

// applyChangelog applies the changelog lines of runCase: +I and +U add a
// row, -U and -D remove an equal one; the result is sorted, without "op".
// A table with a primary key (pks, from runCaseKeys) applies its rows by
// key, as an upsert sink does: +I and +U put the key's row, -U and -D
// delete the key (a SinkMaterializer sends +U without its -U). It checks
// what an upsert sink cannot: a +I finds no row for its key, a -U or -D
// carries exactly the key's row (a +U may find one or none).
func applyChangelog(t *testing.T, lines string, pks ...map[string][]string) string {
	t.Helper()
	out, err := applyChangelogErr(lines, pks...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// applyChangelogErr is applyChangelog returning its error.
func applyChangelogErr(lines string, pks ...map[string][]string) (string, error) {
	count := map[string]int{}
	byKey := map[string]string{} // table and key -> row, for tables with a key
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		if l == "" {
			continue
		}
		var m struct {
			Op    string
			Table string
		}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			return "", err
		}
		row := strings.Replace(l, fmt.Sprintf(`"op":%q,`, m.Op), "", 1)
		if len(pks) > 0 && len(pks[0][m.Table]) > 0 {
			var cols map[string]json.RawMessage
			if err := json.Unmarshal([]byte(l), &cols); err != nil {
				return "", err
			}
			key := m.Table
			for _, k := range pks[0][m.Table] {
				key += "\x00" + string(cols[k])
			}
			cur, ok := byKey[key]
			switch m.Op {
			case "+I":
				if ok {
					return "", fmt.Errorf("+I of a key with a row (%s): %s", cur, row)
				}
				byKey[key] = row
			case "+U":
				byKey[key] = row
			default:
				if !ok {
					return "", fmt.Errorf("%s of a key not in the result: %s", m.Op, row)
				}
				if cur != row {
					return "", fmt.Errorf("%s of %s, the key's row is %s", m.Op, row, cur)
				}
				delete(byKey, key)
			}
			continue
		}
		switch m.Op {
		case "+I", "+U":
			count[row]++
		default:
			if count[row] == 0 {
				return "", fmt.Errorf("%s of a row not in the result: %s", m.Op, row)
			}
			count[row]--
		}
	}
	var out []string
	for _, r := range byKey {
		out = append(out, r)
	}
	for r, n := range count {
		for range n {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "", nil
	}
	return strings.Join(out, "\n") + "\n", nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func runCase(t *testing.T, dir, src string, par int) (rows, text string, insertOnly bool, err error) {
	rows, text, insertOnly, _, err = runCaseKeys(t, dir, src, par)
	return rows, text, insertOnly, err
}

// runCaseKeys is runCase that also returns the primary key of each
// 'collect' table that has one (for applyChangelog).
func runCaseKeys(t *testing.T, dir, src string, par int) (rows, text string, insertOnly bool, pks map[string][]string, err error) {
	col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
	// 'filesystem' tables read input trees: $CASE_DIR is the case's
	// directory. (The sink commits its files with checkpoints, which the
	// cases do not take: TestFilesystemPartitionedRoundTrip writes and
	// reads back.)
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", false, nil, err
	}
	src = strings.ReplaceAll(src, "$CASE_DIR", abs)
	// A file "clock" (RFC 3339, '2024-03-30T23:30:00.250Z') starts the
	// jobs' processing-time clock there, a manual one: CURRENT_TIMESTAMP
	// and friends read it.
	var clock *stream.ManualClock
	if b, err := os.ReadFile(filepath.Join(dir, "clock")); err == nil {
		start, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
		if err != nil {
			return "", "", false, nil, fmt.Errorf("clock: %w", err)
		}
		clock = stream.NewManualClock(start)
	}
	opts := streamsql.Options{Parallelism: par,
		Factories: []connector.TableFactory{valuesFactory{dir: filepath.Join(dir, "input"), col: col, clock: clock}, col, fileconn.FilesystemTableFactory(), datagen.TableFactory()}}
	if strings.Contains(src, "'connector' = 'nexmark'") {
		// The generator's table (explain_join_unique_key: EXPLAIN of
		// joins over its unique keys).
		opts.Factories = append(opts.Factories, nexgen.TableFactory())
	}
	if clock != nil {
		opts.Clock = clock
	}
	s := streamsql.NewSession(opts)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s.RegisterScalar("twice", table.BigIntType(), []table.Type{table.BigIntType()}, func(a []table.Value) (table.Value, error) {
		return table.Int(2 * a[0].AsInt()), nil
	})
	s.RegisterNexmarkFunctions()
	res, err := s.Exec(ctx, src)
	if err != nil {
		// Paths in errors as written in query.sql.
		return "", "", false, nil, errors.New(strings.ReplaceAll(err.Error(), abs, "$CASE_DIR"))
	}
	var lines []string
	insertOnly = true
	var names []string
	for n := range col.rows {
		names = append(names, n)
	}
	sort.Strings(names)
	pks = map[string][]string{}
	for _, n := range names {
		if pk := col.schemas[n].PrimaryKey; len(pk) > 0 {
			pks[n] = pk
		}
		for _, r := range col.rows[n] {
			if r.Kind != table.Insert {
				insertOnly = false
			}
			sch := col.schemas[n]
			js, err := table.AppendJSON(nil, r, &sch)
			if err != nil {
				return "", "", false, nil, err
			}
			lines = append(lines, fmt.Sprintf(`{"table":%q,"op":%q,`, n, r.Kind.String())+string(js[1:]))
		}
	}
	if insertOnly {
		sort.Strings(lines)
	}
	if len(lines) > 0 {
		rows = strings.Join(lines, "\n") + "\n"
	}
	// The OK of DDL is left out of expected.txt.
	for _, l := range strings.SplitAfter(res.Text, "\n") {
		if l != "OK\n" {
			text += l
		}
	}
	return rows, text, insertOnly, pks, nil
}

func check(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; got:\n%s", err, got)
	}
	if string(want) != got {
		t.Errorf("%s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// readCase reads a case's query.sql with its "-- include: FILE" lines
// replaced by FILE (relative to internal/sql/testdata), so that cases share
// their table definitions (the Nexmark source) instead of copying them, and
// its "-- include-nexmark: qN" lines by the spec's query
// internal/nexmark/sql/qN.sql with its blackhole sink collected.
func readCase(name string) (string, error) {
	src, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(string(src), "\n") {
		l := strings.TrimSpace(line)
		if inc, ok := strings.CutPrefix(l, "-- include: "); ok {
			text, err := os.ReadFile(filepath.Join("../internal/sql/testdata", inc))
			if err != nil {
				return "", fmt.Errorf("%s: %w", name, err)
			}
			b.Write(text)
			continue
		}
		if q, ok := strings.CutPrefix(l, "-- include-nexmark: "); ok {
			text, err := os.ReadFile(filepath.Join("../internal/nexmark/sql", q+".sql"))
			if err != nil {
				return "", fmt.Errorf("%s: %w", name, err)
			}
			collected := strings.ReplaceAll(string(text), "'connector' = 'blackhole'", "'connector' = 'collect'")
			if collected == string(text) {
				return "", fmt.Errorf("%s: %s.sql has no blackhole sink to collect", name, q)
			}
			b.WriteString(collected)
			continue
		}
		b.WriteString(line)
	}
	return b.String(), nil
}

// nexmarkDDL is the Nexmark source of the tests over input/nexmark.jsonl
// (a 'values' table and the person, auction and bid views).
func nexmarkDDL(t testing.TB) string {
	t.Helper()
	src, err := os.ReadFile("../internal/sql/testdata/nexmark_source.sql")
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// nexmarkInput generates the events of cfg into nexmark.jsonl of a new
// directory (the input of nexmarkDDL's table) and returns them and it.
func nexmarkInput(t testing.TB, cfg nexgen.GeneratorConfig) ([]nexgen.Event, string) {
	t.Helper()
	events := nexgen.Generate(cfg)
	dir := t.TempDir()
	var b bytes.Buffer
	for _, e := range events {
		j, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, "nexmark.jsonl"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return events, dir
}
