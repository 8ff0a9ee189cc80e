package streamsql_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stromio/strom/connector"
	"github.com/stromio/strom/stream"
	"github.com/stromio/strom/streamsql"
	"github.com/stromio/strom/table"
)

// TestMiniBatchCheckpointsCascade: a q4-like cascade over a random
// changelog at parallelism 2 with checkpoints every millisecond (barriers
// aligned over two channels while bundles hold rows) and bundles ended by
// size, latency, watermarks and barriers: the final result is the
// per-row job's.
func TestMiniBatchCheckpointsCascade(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 9))
	type row struct{ a, c, p int }
	var live []row
	var lines []string
	for i := range 6000 {
		if len(live) > 0 && rng.IntN(4) == 0 {
			j := rng.IntN(len(live))
			r := live[j]
			live = slices.Delete(live, j, j+1)
			lines = append(lines, fmt.Sprintf(`{"op": "-D", "auction": %d, "category": %d, "price": %d, "ts": "2024-01-01 00:00:%02d"}`, r.a, r.c, r.p, i/100%60))
			continue
		}
		r := row{rng.IntN(40), rng.IntN(5), rng.IntN(1000)}
		live = append(live, r)
		lines = append(lines, fmt.Sprintf(`{"op": "+I", "auction": %d, "category": %d, "price": %d, "ts": "2024-01-01 00:00:%02d"}`, r.a, r.c, r.p, i/100%60))
	}
	if err := os.WriteFile(filepath.Join(dir, "bids.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	q := `CREATE TABLE bids (auction BIGINT, category BIGINT, price BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'values', 'changelog' = 'true');
CREATE TABLE out (category BIGINT, m BIGINT, n BIGINT) WITH ('connector' = 'collect');
INSERT INTO out SELECT category, MAX(final), COUNT(*) FROM (
  SELECT auction, category, MAX(price) AS final FROM bids GROUP BY auction, category
) GROUP BY category;`
	run := func(sql string, ck bool) []string {
		col := &collectFactory{rows: map[string][]table.Row{}, schemas: map[string]table.Schema{}}
		opts := streamsql.Options{Parallelism: 2, Factories: []connector.TableFactory{valuesFactory{dir: dir}, col}}
		if ck {
			opts.Checkpoints = &stream.CheckpointOptions{Dir: t.TempDir(), Interval: time.Millisecond}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if _, err := streamsql.NewSession(opts).Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
		got, err := finalRows(col.rows["out"])
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := run(q, false)
	for _, s := range []string{"'1 ms'/'5'", "'2 ms'/'100000'", "'1 h'/'7'"} {
		lat, size, _ := strings.Cut(s, "/")
		mb := "SET 'table.exec.mini-batch.enabled' = 'true';\nSET 'table.exec.mini-batch.allow-latency' = " + lat + ";\nSET 'table.exec.mini-batch.size' = " + size + ";\n"
		for _, ck := range []bool{false, true} {
			if got := run(mb+q, ck); !slices.Equal(got, want) {
				t.Errorf("%s checkpoints %v:\n%v\nwant\n%v", s, ck, got, want)
			}
		}
	}
}
