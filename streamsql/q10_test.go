package streamsql_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	fileconn "github.com/stromio/strom/connector/file"
	nexgen "github.com/stromio/strom/connector/nexmark"
	"github.com/stromio/strom/internal/nexmark"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
)

// TestNexmarkQ10SQLMatchesOracle runs the spec's q10 (the filesystem sink
// partitioned by dt and hm, with Flink's partition-commit options) over
// generated events and reads the files back: the rows and their
// partitions are the oracle's.
func TestNexmarkQ10SQLMatchesOracle(t *testing.T) {
	events, dir := nexmarkInput(t, nexgen.GeneratorConfig{Events: 3000, Seed: 7, Rate: 1000})
	ddl := nexmarkDDL(t)
	out := filepath.Join(t.TempDir(), "q10")
	sql, err := nexmark.RunnableSQL("q10", nexmark.Config{OutDir: out})
	if err != nil {
		t.Fatal(err)
	}
	// The filesystem sink commits its files with the checkpoints (the
	// last one when the input ends).
	sess := streamsql.NewSession(streamsql.Options{Parallelism: 2,
		Checkpoints: &stream.CheckpointOptions{Dir: t.TempDir(), Interval: 50 * time.Millisecond},
		Factories:   []connector.TableFactory{valuesFactory{dir: dir}, fileconn.FilesystemTableFactory()}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := sess.Exec(ctx, ddl+sql); err != nil {
		t.Fatal(err)
	}
	checkQ10Files(t, out, events)
}

// TestNexmarkQ10SQLBenchMatchesOracle runs q10 as `strom nexmark bench
// --sql` does: nexmark.BenchSQL's text (the sink in a temporary directory)
// over the 'nexmark' connector, at parallelism 1, with its one checkpoint
// at the end of the input, which commits the files; the cleanup removes
// them and the checkpoints.
func TestNexmarkQ10SQLBenchMatchesOracle(t *testing.T) {
	gen := nexgen.GeneratorConfig{Events: 3000, Seed: 7, Rate: 1000, Splits: 1}
	events := nexgen.Generate(gen)
	src, err := nexmark.SQLSource(gen)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", t.TempDir())
	run, err := nexmark.BenchSQL("q10", nexmark.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sql := run.Text
	m := regexp.MustCompile(`'path' = 'file://([^']*)'`).FindStringSubmatch(sql)
	if m == nil || !strings.HasPrefix(m[1], os.Getenv("TMPDIR")) {
		t.Fatalf("the sink's path is not in the temporary directory:\n%s", sql)
	}
	sess := streamsql.NewSession(streamsql.Options{Parallelism: 1, Checkpoints: run.Checkpoints,
		Factories: []connector.TableFactory{nexgen.TableFactory(), fileconn.FilesystemTableFactory()}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := sess.Exec(ctx, src+sql); err != nil {
		t.Fatal(err)
	}
	checkQ10Files(t, m[1], events)
	run.Cleanup()
	if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
		t.Errorf("the cleanup left %v", left)
	}
}

// checkQ10Files reads back the partitioned CSV files q10 wrote under out
// and compares them with the oracle over events.
func checkQ10Files(t *testing.T, out string, events []nexgen.Event) {
	t.Helper()
	var got []any
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		rel, _ := filepath.Rel(out, path)
		parts := strings.Split(rel, string(filepath.Separator))
		if len(parts) != 3 || !strings.HasPrefix(parts[0], "dt=") || !strings.HasPrefix(parts[1], "hm=") {
			return fmt.Errorf("unexpected file %s", rel)
		}
		dt, err1 := url.PathUnescape(strings.TrimPrefix(parts[0], "dt="))
		hm, err2 := url.PathUnescape(strings.TrimPrefix(parts[1], "hm="))
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%s: bad partition", rel)
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		for _, r := range recs {
			if len(r) != 5 {
				return fmt.Errorf("%s: record %q", rel, r)
			}
			n := make([]int64, 3)
			for i := range n {
				if n[i], err = strconv.ParseInt(r[i], 10, 64); err != nil {
					return err
				}
			}
			ts, err := time.Parse("2006-01-02 15:04:05.999", r[3])
			if err != nil {
				return fmt.Errorf("%s: dateTime %q: %w", rel, r[3], err)
			}
			got = append(got, nexmark.Q10Row{Auction: n[0], Bidder: n[1], Price: n[2], DateTime: ts.UnixMilli(), Extra: r[4], Dt: dt, Hm: hm})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := nexmark.Lookup("q10")
	if err != nil {
		t.Fatal(err)
	}
	wantRows, err := want.Oracle(events, nexmark.Config{})
	if err != nil {
		t.Fatal(err)
	}
	gotC, err := nexmark.Canonical(got, false)
	if err != nil {
		t.Fatal(err)
	}
	wantC, err := nexmark.Canonical(wantRows, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(wantC) == 0 {
		t.Fatal("the oracle gives no rows")
	}
	if strings.Join(gotC, "\n") != strings.Join(wantC, "\n") {
		for i := 0; i < len(gotC) && i < len(wantC); i++ {
			if gotC[i] != wantC[i] {
				t.Fatalf("row %d:\n got %s\nwant %s", i, gotC[i], wantC[i])
			}
		}
		t.Fatalf("SQL gives %d rows, the oracle %d", len(gotC), len(wantC))
	}
}
