package file

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/table"
)

func bidSchema() table.Schema {
	return table.Schema{Columns: []table.Column{
		{Name: "auction", Type: table.BigIntType().NotNull()},
		{Name: "price", Type: table.BigIntType()},
		{Name: "channel", Type: table.StringType()},
		{Name: "dateTime", Type: table.TimestampType(3)},
		{Name: "doubled", Type: table.BigIntType(), Computed: "price * 2"},
	}}
}

func tctx(opts map[string]string) connector.TableContext {
	return connector.TableContext{Name: "bids", Schema: bidSchema(), Options: opts}
}

func readTable(t *testing.T, src connector.Source[table.Row]) []string {
	t.Helper()
	ctx := context.Background()
	splits, err := src.Splits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sp := range splits {
		r, err := src.Open(ctx, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]table.Row, 3)
		for {
			n, err := r.Read(ctx, buf)
			for _, row := range buf[:n] {
				out = append(out, row.String())
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		_ = r.Close()
	}
	return out
}

func TestTableFileOptions(t *testing.T) {
	f := TableFactory()
	ctx := context.Background()
	for _, tc := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"path": "x", "format": "json", "pth": "y"},
			`strom: table "bids": connector 'file': unknown option 'pth' (allowed: 'csv.field-delimiter', 'csv.null-literal', 'format', 'json.timestamp-format.standard', 'on-error', 'partition.time-extractor.timestamp-pattern', 'path', 'sink.parallelism', 'sink.part-prefix', 'sink.partition-commit.delay', 'sink.partition-commit.policy.kind', 'sink.partition-commit.trigger', 'sink.rolling-policy.check-interval', 'sink.rolling-policy.file-size', 'sink.rolling-policy.inactivity-interval', 'sink.rolling-policy.rollover-interval', 'source.max-record-size', 'source.monitor-interval')`},
		{map[string]string{"format": "json"},
			`strom: table "bids": connector 'file': missing required option 'path' (source: a file, a directory (its files not starting with '.' or '_') or a glob pattern; sink: the output directory (created if missing))`},
		{map[string]string{"path": "x", "format": "xml"},
			`strom: table "bids": connector 'file': option 'format' is 'xml', want one of 'json', 'csv'`},
		{map[string]string{"path": "x", "format": "json", "on-error": "ignore"},
			`strom: table "bids": connector 'file': option 'on-error' is 'ignore', want one of 'fail', 'skip'`},
		{map[string]string{"path": "x", "format": "csv", "csv.field-delimiter": ";;"},
			`strom: table "bids": connector 'file': option 'csv.field-delimiter' is ';;', want one character`},
		{map[string]string{"path": "x", "format": "json", "json.timestamp-format.standard": "RFC"},
			`strom: table "bids": connector 'file': option 'json.timestamp-format.standard' is 'RFC', want one of 'EPOCH-MILLIS', 'SQL', 'ISO-8601'`},
		{map[string]string{"path": "x", "format": "json", "source.max-record-size": "lots"},
			`strom: table "bids": connector 'file': option 'source.max-record-size' is 'lots', want a positive size such as '128mb'`},
	} {
		_, err := f.TableSource(ctx, tctx(tc.opts))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v:\n got %v\nwant %s", tc.opts, err, tc.want)
		}
	}
	for _, tc := range []struct {
		opts     map[string]string
		updating bool
		want     string
	}{
		{map[string]string{"path": "x", "format": "csv"}, true,
			`strom: table "bids": connector 'file': format 'csv' cannot write updates (rows of kind -U, +U, -D): use 'json', which writes the "op" field`},
		{map[string]string{"path": "x", "format": "json", "sink.rolling-policy.file-size": "-1"}, false,
			`strom: table "bids": connector 'file': option 'sink.rolling-policy.file-size' is '-1', want a positive size such as '128mb'`},
		{map[string]string{"path": "s3://bucket/x", "format": "json"}, false,
			`strom: table "bids": connector 'file': option 'path' is 's3://bucket/x': only local paths and file:// URIs are supported`},
		{map[string]string{"path": "x", "format": "json", "sink.partition-commit.policy.kind": "metastore"}, false,
			`strom: table "bids": connector 'file': option 'sink.partition-commit.policy.kind' is 'metastore', want one of 'success-file'`},
		{map[string]string{"path": "x", "format": "json", "sink.rolling-policy.rollover-interval": "soon"}, false,
			`strom: table "bids": connector 'file': option 'sink.rolling-policy.rollover-interval' is 'soon', want a duration such as '10 s' or '1 min'`},
	} {
		_, err := f.TableSink(ctx, tctx(tc.opts), tc.updating)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v:\n got %v\nwant %s", tc.opts, err, tc.want)
		}
	}
	meta := tctx(map[string]string{"path": "x", "format": "json"})
	meta.Schema.Columns = append(meta.Schema.Columns, table.Column{Name: "fn", Type: table.StringType(), Metadata: "file.name"})
	if _, err := f.TableSource(ctx, meta); err == nil || err.Error() != `strom: table "bids": connector 'file': column "fn": the file connector has no metadata (METADATA FROM 'file.name')` {
		t.Error(err)
	}
}

func TestTableFileSourceJSON(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.jsonl", `{"auction":1,"price":10,"channel":"web","dateTime":1700000000000,"extra":1}
{"auction":2,"dateTime":"2023-11-14 22:13:21.5"}

{"auction":3,"price":"30","channel":null,"dateTime":"2023-11-14T22:13:22Z"}
`)
	src, err := TableFactory().TableSource(context.Background(), tctx(map[string]string{"path": dir, "format": "json"}))
	if err != nil {
		t.Fatal(err)
	}
	if !src.Bounded() {
		t.Fatal("file source must be bounded")
	}
	got := readTable(t, src)
	want := []string{
		"+I(1, 10, 'web', TIMESTAMP '2023-11-14 22:13:20', NULL)",
		"+I(2, NULL, NULL, TIMESTAMP '2023-11-14 22:13:21.500', NULL)",
		"+I(3, 30, NULL, TIMESTAMP '2023-11-14 22:13:22', NULL)",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}

	writeFile(t, dir, "b.jsonl", `{"price":1}`+"\n")
	src, _ = TableFactory().TableSource(context.Background(), tctx(map[string]string{"path": filepath.Join(dir, "b.jsonl"), "format": "json"}))
	sp, _ := src.Splits(context.Background())
	r, _ := src.Open(context.Background(), sp[0], nil)
	_, err = r.Read(context.Background(), make([]table.Row, 1))
	if err == nil || !strings.Contains(err.Error(), `line 1 (offset 0): field "auction" is missing or null, but the column is NOT NULL`) {
		t.Fatal(err)
	}
	src, _ = TableFactory().TableSource(context.Background(), tctx(map[string]string{"path": filepath.Join(dir, "b.jsonl"), "format": "json", "on-error": "skip"}))
	if got := readTable(t, src); len(got) != 0 {
		t.Fatal(got)
	}
}

func TestTableFileSourceCSV(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.csv", "1;10;\"a;b\";2023-11-14 22:13:20\n2;;;\n")
	src, err := TableFactory().TableSource(context.Background(),
		tctx(map[string]string{"path": p, "format": "csv", "csv.field-delimiter": ";"}))
	if err != nil {
		t.Fatal(err)
	}
	// The computed column is not in the file: the format reads the physical ones.
	got := readTable(t, src)
	want := []string{"+I(1, 10, 'a;b', TIMESTAMP '2023-11-14 22:13:20', NULL)", "+I(2, NULL, '', NULL, NULL)"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// sinkRows writes rows through one writer, checkpoints and commits.
func sinkRows(t *testing.T, s connector.Sink[table.Row], rows ...table.Row) {
	t.Helper()
	ctx := context.Background()
	w, err := s.Open(ctx, connector.SinkInfo{Subtask: 0, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r, 0); err != nil {
			t.Fatal(err)
		}
	}
	c, err := w.(connector.TransactionalWriter[table.Row]).PreCommit(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.(connector.Committer).Commit(ctx, [][]byte{c}); err != nil {
		t.Fatal(err)
	}
}

func trow(kind table.RowKind, auction int64, price table.Value, ch string, ms int64) table.Row {
	return table.Row{Kind: kind, Fields: []table.Value{table.Int(auction), price, table.Str(ch), table.TimestampMillis(ms), table.Null}}
}

func TestTableFileSinkChangelog(t *testing.T) {
	dir := t.TempDir()
	f := TableFactory()
	s, err := f.TableSink(context.Background(), tctx(map[string]string{"path": dir, "format": "json"}), true)
	if err != nil {
		t.Fatal(err)
	}
	sinkRows(t, s,
		trow(table.Insert, 1, table.Int(10), "a", 1000),
		trow(table.UpdateBefore, 1, table.Int(10), "a", 1000),
		trow(table.UpdateAfter, 1, table.Int(20), "a", 2000),
		trow(table.Delete, 1, table.Int(20), "a", 2000))
	b, err := os.ReadFile(filepath.Join(dir, "part-0-1-0.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"op":"+I","auction":1,"price":10,"channel":"a","dateTime":1000}
{"op":"-U","auction":1,"price":10,"channel":"a","dateTime":1000}
{"op":"+U","auction":1,"price":20,"channel":"a","dateTime":2000}
{"op":"-D","auction":1,"price":20,"channel":"a","dateTime":2000}
`
	if string(b) != want {
		t.Fatalf("got\n%s\nwant\n%s", b, want)
	}
}

func TestTableFileSinkRoundTrip(t *testing.T) {
	for _, fm := range []string{"json", "csv"} {
		t.Run(fm, func(t *testing.T) {
			dir := t.TempDir()
			opts := map[string]string{"path": dir, "format": fm, "sink.part-prefix": "out", "csv.null-literal": "\\N"}
			if fm == "json" {
				delete(opts, "csv.null-literal")
				opts["json.timestamp-format.standard"] = "SQL"
			}
			s, err := TableFactory().TableSink(context.Background(), tctx(opts), false)
			if err != nil {
				t.Fatal(err)
			}
			rows := []table.Row{trow(table.Insert, 1, table.Int(10), "x,\"y\"\nz", 1500), trow(table.Insert, 2, table.Null, "", -1)}
			sinkRows(t, s, rows...)
			src, err := TableFactory().TableSource(context.Background(), tctx(opts))
			if err != nil {
				t.Fatal(err)
			}
			got := readTable(t, src)
			var want []string
			for _, r := range rows {
				want = append(want, r.String())
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %q\nwant %q", got, want)
			}
		})
	}
}

// TestTableFilesystemQ10 is the sink of Nexmark q10: 'filesystem', a
// file:// path, CSV, PARTITIONED BY (dt, hm) and Flink's commit options.
func TestTableFilesystemQ10(t *testing.T) {
	dir := t.TempDir()
	f := FilesystemTableFactory()
	if f.Name() != "filesystem" {
		t.Fatal(f.Name())
	}
	tc := connector.TableContext{Name: "nexmark_q10", Schema: table.Schema{Columns: []table.Column{
		{Name: "auction", Type: table.BigIntType()},
		{Name: "price", Type: table.BigIntType()},
		{Name: "dt", Type: table.StringType()},
		{Name: "hm", Type: table.StringType()},
	}}, PartitionKeys: []string{"dt", "hm"}, Options: map[string]string{
		"path":                              "file://" + dir,
		"format":                            "csv",
		"sink.partition-commit.trigger":     "partition-time",
		"sink.partition-commit.delay":       "1 min",
		"sink.partition-commit.policy.kind": "success-file",
		"partition.time-extractor.timestamp-pattern": "$dt $hm:00",
		"sink.rolling-policy.rollover-interval":      "1min",
		"sink.rolling-policy.check-interval":         "1min",
	}}
	s, err := f.TableSink(context.Background(), tc, false)
	if err != nil {
		t.Fatal(err)
	}
	r := func(a, p int64, dt, hm string) table.Row {
		return table.NewRow(table.Int(a), table.Int(p), table.Str(dt), table.Str(hm))
	}
	sinkRows(t, s, r(1, 10, "2026-01-01", "13:05"), r(2, 20, "2026-01-01", "13:06"), r(3, 30, "2026-01-01", "13:05"),
		table.NewRow(table.Int(4), table.Int(40), table.Null, table.Str("a/b")))
	for path, want := range map[string]string{
		"dt=2026-01-01/hm=13:05/part-0-1-0.csv":            "1,10\n3,30\n",
		"dt=2026-01-01/hm=13:06/part-0-1-1.csv":            "2,20\n",
		"dt=__DEFAULT_PARTITION__/hm=a%2Fb/part-0-1-2.csv": "4,40\n",
	} {
		b, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil || string(b) != want {
			t.Errorf("%s: %q %v", path, b, err)
		}
	}
	// The source reads the layout back: the partition columns from the
	// directories (unescaped), __DEFAULT_PARTITION__ as NULL.
	src, err := f.TableSource(context.Background(), tc)
	if err != nil {
		t.Fatal(err)
	}
	got := readTable(t, src)
	want := []string{"+I(1, 10, '2026-01-01', '13:05')", "+I(3, 30, '2026-01-01', '13:05')",
		"+I(2, 20, '2026-01-01', '13:06')", "+I(4, 40, NULL, 'a/b')"}
	if !slices.Equal(got, want) {
		t.Errorf("read back %q, want %q", got, want)
	}
	tc.PartitionKeys = []string{"nope"}
	if _, err := f.TableSink(context.Background(), tc, false); err == nil ||
		err.Error() != `strom: table "nexmark_q10": connector 'filesystem': PARTITIONED BY names "nope", which is not a physical column of the table` {
		t.Error(err)
	}
}

// TestTablePartitionedRead reads input trees: partition values cast to the
// columns' types, a value that does not parse or a stray file or directory
// is an error naming its path, an empty tree is an empty table.
// keepFunc is a connector.PartitionFilter from a function; it records
// the prefixes it was asked about.
type keepFunc struct {
	f     func(vals []table.Value) bool
	asked *[]string
}

func (k keepFunc) Keep(vals []table.Value) bool {
	*k.asked = append(*k.asked, table.NewRow(vals...).String())
	return k.f(vals)
}

// TestTablePartitionedPrune: a partition directory the filter rejects is
// skipped with everything below it: its files are not listed or opened
// (a file that fails to parse, a stray directory and a bad partition value
// under it do not fail the read), and the filter is asked about each
// level's prefix of values, NULL for __DEFAULT_PARTITION__.
func TestTablePartitionedPrune(t *testing.T) {
	schema := table.Schema{Columns: []table.Column{
		{Name: "v", Type: table.BigIntType()},
		{Name: "dt", Type: table.DateType()},
		{Name: "hr", Type: table.IntType()},
	}}
	dir := t.TempDir()
	for name, content := range map[string]string{
		"dt=2024-01-01/hr=10/part-0":                    "1\n",
		"dt=2024-01-01/hr=9/part-0":                     "not a number\n",
		"dt=2024-01-02/hr=10/part-0":                    "not a number\n",
		"dt=2024-01-02/hr=ten/part-0":                   "1\n",
		"dt=2024-01-02/x/y/part-0":                      "1\n",
		"dt=__DEFAULT_PARTITION__/hr=10/part-0":         "2\n",
		"dt=2024-01-03/hr=__DEFAULT_PARTITION__/part-0": "3\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, name, content)
	}
	var asked []string
	d, err := table.ParseDate("2024-01-02")
	if err != nil {
		t.Fatal(err)
	}
	day2 := table.Date(d)
	filter := keepFunc{asked: &asked, f: func(vals []table.Value) bool {
		// dt <> 2024-01-02 (NULL passes here, to see it asked) AND hr <> 9
		if !vals[0].IsNull() && vals[0].Equal(day2) {
			return false
		}
		return len(vals) < 2 || vals[1].IsNull() || vals[1].AsInt() != 9
	}}
	src, err := FilesystemTableFactory().TableSource(context.Background(), connector.TableContext{
		Name: "t", Schema: schema, PartitionKeys: []string{"dt", "hr"}, PartitionFilter: filter,
		Options: map[string]string{"path": dir, "format": "csv"}})
	if err != nil {
		t.Fatal(err)
	}
	got := readTable(t, src)
	slices.Sort(got)
	want := []string{"+I(1, DATE '2024-01-01', 10)", "+I(2, NULL, 10)", "+I(3, DATE '2024-01-03', NULL)"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	wantAsked := []string{"+I(DATE '2024-01-01')", "+I(DATE '2024-01-01', 10)", "+I(DATE '2024-01-01', 9)",
		"+I(DATE '2024-01-02')", "+I(DATE '2024-01-03')", "+I(DATE '2024-01-03', NULL)", "+I(NULL)", "+I(NULL, 10)"}
	if !slices.Equal(asked, wantAsked) {
		t.Errorf("asked %q, want %q", asked, wantAsked)
	}
	if !FilesystemTableFactory().PrunesPartitions(connector.TableContext{PartitionKeys: []string{"dt"}}) || FilesystemTableFactory().PrunesPartitions(connector.TableContext{}) {
		t.Error("PrunesPartitions: only partitioned tables prune")
	}
}

func TestTablePartitionedRead(t *testing.T) {
	schema := table.Schema{Columns: []table.Column{
		{Name: "v", Type: table.BigIntType()},
		{Name: "dt", Type: table.DateType()},
		{Name: "hr", Type: table.IntType()},
	}}
	open := func(dir string) connector.Source[table.Row] {
		t.Helper()
		src, err := FilesystemTableFactory().TableSource(context.Background(), connector.TableContext{
			Name: "t", Schema: schema, PartitionKeys: []string{"dt", "hr"},
			Options: map[string]string{"path": dir, "format": "csv"}})
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	put := func(t *testing.T, dir, name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, name, content)
	}
	dir := t.TempDir()
	put(t, dir, "dt=2024-01-01/hr=10/part-0-1-0.csv", "1\n2\n")
	put(t, dir, "dt=2024-01-01/hr=9/part-0-1-0.csv", "3\n")
	put(t, dir, "dt=2024-01-02/hr=__DEFAULT_PARTITION__/part-0-1-0.csv", "4\n")
	put(t, dir, "dt=2024-01-02/hr=10/.part-0-2-0.csv.inprogress", "5\n")
	put(t, dir, "_SUCCESS", "")
	got := readTable(t, open(dir))
	want := []string{"+I(1, DATE '2024-01-01', 10)", "+I(2, DATE '2024-01-01', 10)", "+I(3, DATE '2024-01-01', 9)", "+I(4, DATE '2024-01-02', NULL)"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}

	if got := readTable(t, open(t.TempDir())); len(got) != 0 {
		t.Fatalf("empty tree: %q", got)
	}

	for _, c := range []struct{ file, err string }{
		{"dt=2024-01-01/hr=ten/part-0", `partition directory DIR/dt=2024-01-01/hr=ten: column hr: "ten" is not a INT`},
		{"dt=2024-13-01/hr=1/part-0", `partition directory DIR/dt=2024-13-01: column dt: `},
		{"dt=2024-01-01/part-0", `DIR/dt=2024-01-01/part-0: a file outside the partition directories (PARTITIONED BY dt, hr: dt=<value>/hr=<value>/<files>)`},
		{"hr=1/dt=2024-01-01/part-0", `DIR/hr=1: not a partition directory dt=<value>`},
		{"dt=2024-01-01/hr=1/x/part-0", `DIR/dt=2024-01-01/hr=1/x: a directory inside the partition directory`},
		{"dt=2024-01-01/hr=%zz/part-0", `partition directory DIR/dt=2024-01-01/hr=%zz: bad escape in "%zz"`},
	} {
		dir := t.TempDir()
		put(t, dir, c.file, "1\n")
		_, err := open(dir).Splits(context.Background())
		want := strings.ReplaceAll(c.err, "DIR", dir)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %s", c.file, err, want)
		}
	}
}

// TestPartitionFuncEscapes checks the partition paths built in place
// against escapePartition of each value's text: empty, a leading '.',
// characters to escape, a path longer than the stack buffer, NULL.
func TestPartitionFuncEscapes(t *testing.T) {
	s := table.Schema{Columns: []table.Column{
		{Name: "a", Type: table.StringType()}, {Name: "n", Type: table.BigIntType()}, {Name: "b c", Type: table.StringType()}}}
	part := partitionFunc(s, []int{0, 1, 2})
	long := strings.Repeat("x/", 100)
	for _, tc := range []struct {
		row  table.Row
		want string
	}{
		{table.NewRow(table.Str("2026-01-01"), table.Int(-5), table.Str("13:05")), "a=2026-01-01/n=-5/b%20c=13:05"},
		{table.NewRow(table.Str(""), table.Int(0), table.Str(".x.y")), "a=__EMPTY__/n=0/b%20c=%2Ex.y"},
		{table.NewRow(table.Null, table.Null, table.Str(long)), "a=__DEFAULT_PARTITION__/n=__DEFAULT_PARTITION__/b%20c=" + escapePartition(long)},
	} {
		if got := part(tc.row); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// TestTableSinkBufferBytes: the 'filesystem' table sink's part files
// buffer tableSinkBuffer, not the TransactionalSink's default (fewer
// write calls; BenchmarkTableSinkBuffer).
func TestTableSinkBufferBytes(t *testing.T) {
	s, err := TableFactory().TableSink(context.Background(), tctx(map[string]string{"path": t.TempDir(), "format": "csv"}), false)
	if err != nil {
		t.Fatal(err)
	}
	ts, ok := s.(*TransactionalSink[table.Row])
	if !ok {
		t.Fatalf("the table sink is a %T, not a *TransactionalSink[table.Row]", s)
	}
	if got := ts.Options().BufferBytes; got != tableSinkBuffer {
		t.Fatalf("BufferBytes = %d, want %d", got, tableSinkBuffer)
	}
	// Its writers keep no row (a source chained before it reuses rows).
	w, err := ts.Open(context.Background(), connector.SinkInfo{Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if r, ok := w.(connector.RecordReleaser); !ok || !r.ReleasesRecords() {
		t.Fatalf("the table sink's writer (%T) does not release its records", w)
	}
}
