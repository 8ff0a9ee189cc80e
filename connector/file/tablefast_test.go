package file

import (
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/stromio/strom/table"
)

// randPartValue is a partition value of one of the kinds partCache
// remembers or of one it does not, from few distinct values (so that rows
// repeat their predecessor's partition), NULL among them.
func randPartValue(r *rand.Rand) table.Value {
	switch r.IntN(9) {
	case 0:
		return table.Null
	case 1:
		return table.Int(r.Int64N(3) - 1)
	case 2:
		return table.Bool(r.IntN(2) == 0)
	case 3:
		return table.Date(int32(r.IntN(2)))
	case 4:
		return table.TimestampMillis(r.Int64N(2) * 1000)
	case 5:
		return table.Float([]float64{0, 0.5, -0.0}[r.IntN(3)])
	case 6:
		return table.Dec(r.Int64N(2)*10, 1+r.IntN(2))
	}
	return table.Str([]string{"", "a", "a/b", "2015-07-15", "13:05", ".x", "é"}[r.IntN(7)])
}

// TestPartitionCacheMatchesPartitionFunc: a writer's cached partition
// function returns partitionFunc's path for every row, on rows that repeat
// or change their partition values (all kinds, NULLs, rows too short).
func TestPartitionCacheMatchesPartitionFunc(t *testing.T) {
	s := table.Schema{Columns: []table.Column{{Name: "a", Type: table.StringType()}, {Name: "x", Type: table.IntType()},
		{Name: "b", Type: table.StringType()}, {Name: "c c", Type: table.StringType()}}}
	r := rand.New(rand.NewPCG(5, 9))
	for _, idx := range [][]int{{0}, {0, 2}, {2, 0, 3}} {
		part := partitionFunc(s, idx)
		cached := partitionCache(part, idx)()
		row := table.NewRow(table.Str("a"), table.Int(1), table.Str("b"), table.Str("c"))
		for range 20000 {
			if r.IntN(3) == 0 {
				row = table.Row{Fields: append([]table.Value(nil), row.Fields...)}
				row.Fields[idx[r.IntN(len(idx))]] = randPartValue(r)
			}
			if r.IntN(50) == 0 {
				row.Fields = row.Fields[:r.IntN(len(row.Fields))]
			}
			if got, want := cached(row), part(row); got != want {
				t.Fatalf("idx %v, row %v: %q, want %q", idx, row, got, want)
			}
			if len(row.Fields) < 4 {
				row = table.NewRow(table.Str("a"), table.Int(1), table.Str("b"), table.Str("c"))
			}
		}
	}
	if partitionCache(partitionFunc(s, nil), nil) != nil {
		t.Error("a partition cache without columns")
	}
}

// TestPartitionCacheReusedBuffer: a string value over a buffer that its
// producer rewrites for the next row (same address, new bytes) gets the new
// row's path, not the remembered one.
func TestPartitionCacheReusedBuffer(t *testing.T) {
	s := table.Schema{Columns: []table.Column{{Name: "dt", Type: table.StringType()}}}
	part := partitionFunc(s, []int{0})
	cached := partitionCache(part, []int{0})()
	buf := []byte("2015-07-15")
	v := table.Str(unsafe.String(&buf[0], len(buf)))
	if got := cached(table.NewRow(v)); got != "dt=2015-07-15" {
		t.Fatal(got)
	}
	copy(buf, "2015-07-16")
	if got := cached(table.NewRow(v)); got != "dt=2015-07-16" {
		t.Fatalf("after the buffer changed: %q", got)
	}
}

// TestTableSinkQ10MatchesGeneral: q10's table sink (per-writer encoder and
// partition cache) writes the same files with the same bytes as the sink
// without them, on q10's rows with some NULLs and quoted extras.
func TestTableSinkQ10MatchesGeneral(t *testing.T) {
	rows := q10Rows(5000, 60)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range rows {
		if r.IntN(20) == 0 {
			rows[i].Fields = append([]table.Value(nil), rows[i].Fields...)
			rows[i].Fields[r.IntN(len(rows[i].Fields))] = table.Null
		}
		if r.IntN(50) == 0 {
			rows[i].Fields = append([]table.Value(nil), rows[i].Fields...)
			rows[i].Fields[4] = table.Str(" a,\"b\"\n")
		}
	}
	gen, fast := t.TempDir(), t.TempDir()
	sinkRows(t, generalQ10Sink(t, gen), rows...)
	s, err := FilesystemTableFactory().TableSink(t.Context(), q10Context(fast), false)
	if err != nil {
		t.Fatal(err)
	}
	sinkRows(t, s, rows...)
	want, got := treeFiles(t, gen), treeFiles(t, fast)
	if len(want) < 3 {
		t.Fatalf("only %d files", len(want))
	}
	for p, b := range want {
		if got[p] != b {
			t.Errorf("%s: %d bytes, want %d (equal: %v)", p, len(got[p]), len(b), got[p] == b)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("extra file %s", p)
		}
	}
}

// treeFiles reads every regular file under dir by its relative path.
func treeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		m[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
